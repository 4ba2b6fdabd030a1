package org.neuralj.nn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.Tensor;

/**
 * A model bound to a backend: weights are uploaded once (on first use) and stay on the device until
 * {@link #close()}; each {@link #run} keeps every activation on the device, frees each one after its
 * last reader, and returns only the outputs. Several threads may run one session at once (each run
 * keeps its own activations; the backend serialises its device calls).
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final Backend backend;
    private final Map<String, Tensor> deviceConstants = new java.util.concurrent.ConcurrentHashMap<>();
    private boolean acceptNonFinite;
    /** A twin of the model that keeps fused-away values (see {@link #run(Map, java.util.Set)}), and the values it keeps. */
    private Session unfused;
    private java.util.Set<String> keptValues = java.util.Set.of();
    private final java.util.concurrent.atomic.AtomicInteger peakLiveActivations = new java.util.concurrent.atomic.AtomicInteger();
    /** Time per kind of step since {@link #profile} switched it on ("op [output shape]" to {runs, nanoseconds}); null when off. */
    private volatile Map<String, long[]> profile;

    public Session(Model model, Backend backend) {
        this.model = model;
        this.backend = backend;
    }

    /** Lets NaN and infinite input values through (conformance tests feed them on purpose). */
    public Session acceptNonFinite() {
        this.acceptNonFinite = true;
        return this;
    }

    /**
     * Times every step of the runs from now on, summed per op type and output shape ({@link #profileTimes}):
     * where a model spends its time. On a device backend every step then waits for the device to finish it, so
     * its time is its run time (and the whole run is slower than without profiling).
     */
    public synchronized Session profile() {
        profile = new java.util.TreeMap<>();
        return this;
    }

    /** What {@link #profile} has gathered so far: "op [output shape]" to {runs, nanoseconds}; empty when not profiling. */
    public synchronized Map<String, long[]> profileTimes() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        if (profile != null) {
            profile.forEach((k, v) -> copy.put(k, v.clone()));
        }
        return copy;
    }

    public Model model() {
        return model;
    }

    public Backend backend() {
        return backend;
    }

    /**
     * Runs on host arrays: uploads the inputs, downloads the outputs. Inputs with NaN or infinite
     * values are refused ({@link InvalidInputException} naming the input and the element).
     */
    public Map<String, HostTensor> runOnHost(Map<String, HostTensor> inputs) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        Map<String, float[]> known = new HashMap<>();
        try {
            for (Model.Input input : model.inputs()) {
                HostTensor data = inputs.get(input.name());
                if (data == null) {
                    throw new InvalidInputException(model.source() + ": input '" + input.name() + "' is missing (inputs: "
                            + model.inputs() + ")");
                }
                if (!acceptNonFinite) {
                    checkFinite(input.name(), data.data());
                }
                in.put(input.name(), backend.upload(data.data(), data.shape()));
                if (Model.isShapeArgument(input, data.data().length)) {
                    known.put(input.name(), data.data());
                }
            }
            Map<String, Tensor> out = run(in, known);
            Map<String, HostTensor> host = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : out.entrySet()) {
                try (Tensor t = e.getValue()) {
                    host.put(e.getKey(), new HostTensor(t.shape(), backend.download(t)));
                }
            }
            return host;
        } finally {
            in.values().forEach(Tensor::close);
        }
    }

    /**
     * Runs the model; the returned output tensors belong to the caller, the inputs stay the caller's.
         */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        return run(inputs, Map.of(), java.util.Set.of());
    }

    /**
     * Runs the model and also hands out the intermediate values named in {@code keep} (ONNX value
     * names: any node output, graph input or initializer), for looking inside the network (feature
     * maps). The returned map holds the graph outputs, then each kept value under its name; all are
     * the caller's to close. A value that load-time fusion removed (a Conv output read only by the
     * activation or BatchNormalization fused into it) is still handed out: such a run uses a twin of
     * the model in which those values are graph outputs, which {@link GraphOptimizer} never fuses away
     * (made once and kept while the same values are asked for). A name the graph does not have is
     * refused, naming the values that exist.
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, java.util.Set<String> keep) {
        return run(inputs, Map.of(), keep);
    }

    private Map<String, Tensor> run(Map<String, Tensor> inputs, Map<String, float[]> knownValues) {
        return run(inputs, knownValues, java.util.Set.of());
    }

    private Map<String, Tensor> run(Map<String, Tensor> inputs, Map<String, float[]> knownValues, java.util.Set<String> keep) {
        Map<String, int[]> shapes = new HashMap<>();
        for (Model.Input input : model.inputs()) {
            Tensor t = inputs.get(input.name());
            if (t == null) {
                throw new InvalidInputException(model.source() + ": input '" + input.name() + "' is missing (inputs: "
                        + model.inputs() + ")");
            }
            if (t.backend() != backend) {
                throw new IllegalArgumentException("input '" + input.name() + "' lives on " + t.backend().name()
                        + ", this session runs on " + backend.name());
            }
            shapes.put(input.name(), t.shape());
        }
        Plan plan = model.plan(shapes, knownValues, backend);
        java.util.Set<String> fusedAway = new java.util.TreeSet<>();
        for (String name : keep) {
            if (plan.meta(name) == null) {
                List<String> values = nodeOutputs(model);
                if (!values.contains(name)) {
                    throw new NeuralJException(model.source() + ": no value '" + name + "' to keep (values: " + values + ")");
                }
                fusedAway.add(name);
            }
        }
        if (!fusedAway.isEmpty()) {
            return unfused(fusedAway).run(inputs, knownValues, keep);
        }
        Map<String, Tensor> live = new HashMap<>();
        Map<String, Tensor> kept = new LinkedHashMap<>();
        try {
            for (Plan.Planned p : plan.steps()) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new NeuralJException("interrupted before " + p.node().info());
                }
                List<Tensor> args = new ArrayList<>();
                for (String name : p.inputs()) {
                    args.add(name.isEmpty() ? null : tensorFor(name, plan, inputs, live));
                }
                List<Tensor> results;
                long started = 0;
                if (profile != null) {
                    backend.finish();
                    started = System.nanoTime();
                }
                try {
                    results = p.step().kernel().run(backend, args);
                    if (profile != null) {
                        backend.finish();
                    }
                } catch (DeviceOutOfMemoryException e) {
                    // keeps its type: the image layer retries with smaller tiles or on the CPU
                    throw new DeviceOutOfMemoryException(p.node().info() + ": " + e.getMessage(), e);
                } catch (DeviceUnavailableException e) {
                    // keeps its type too: the image layer moves to the CPU
                    throw new DeviceUnavailableException(p.node().info() + ": " + e.getMessage(), e);
                } catch (NeuralJException e) {
                    throw new NeuralJException(p.node().info() + ": " + e.getMessage(), e);
                }
                if (profile != null) {
                    long took = System.nanoTime() - started;
                    String kind = p.node().info().opType() + " " + java.util.Arrays.toString(p.step().outputs().get(0).shape());
                    synchronized (this) {
                        long[] sum = profile.computeIfAbsent(kind, k -> new long[2]);
                        sum[0]++;
                        sum[1] += took;
                    }
                }
                for (int i = 0; i < results.size(); i++) {
                    String name = p.outputs().get(i);
                    if (name.isEmpty() || plan.meta(name).isConstant()) {
                        results.get(i).close();
                    } else {
                        live.put(name, results.get(i));
                        if (keep.contains(name)) {
                            kept.put(name, results.get(i).reshape(results.get(i).shape())); // a view: survives the free
                        }
                    }
                }
                peakLiveActivations.accumulateAndGet(live.size(), Math::max);
                for (String dead : p.freeAfter()) {
                    Tensor t = live.remove(dead);
                    if (t != null) {
                        t.close();
                    }
                }
            }
            Map<String, Tensor> outputs = new LinkedHashMap<>();
            for (String name : model.outputNames()) {
                Tensor t = live.remove(name);
                if (t == null) {
                    // an output that is an input or a constant: hand out an owned copy
                    Tensor source = tensorFor(name, plan, inputs, live);
                    t = source.reshape(source.shape());
                }
                outputs.put(name, t);
            }
            for (String name : keep) {
                if (outputs.containsKey(name)) {
                    continue; // a graph output: already there
                }
                Tensor t = kept.remove(name);
                if (t == null) { // an input or a constant
                    Tensor source = tensorFor(name, plan, inputs, live);
                    t = source.reshape(source.shape());
                }
                outputs.put(name, t);
            }
            return outputs;
        } finally {
            live.values().forEach(Tensor::close);
            kept.values().forEach(Tensor::close);
        }
    }

    private void checkFinite(String name, float[] data) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new InvalidInputException(model.source() + ": input '" + name + "' holds " + data[i]
                        + " at element " + i + "; NaN and infinite values are refused (clean or mask the image first)");
            }
        }
    }

    private Tensor tensorFor(String name, Plan plan, Map<String, Tensor> inputs, Map<String, Tensor> live) {
        Tensor t = live.get(name);
        if (t != null) {
            return t;
        }
        t = inputs.get(name);
        if (t != null) {
            return t;
        }
        Meta m = plan.meta(name);
        if (m != null && m.isConstant()) {
            // uploaded once per session; folded constants depend on the plan, so key by shape too
            String key = name + java.util.Arrays.toString(m.shape()) + System.identityHashCode(m.constant());
            return deviceConstants.computeIfAbsent(key, k -> backend.upload(m.constant(), m.shape()));
        }
        throw new NeuralJException(model.source() + ": value '" + name + "' is not available when needed");
    }

    /**
     * The most intermediate values held at once during any run so far (after a step, before its
     * dead inputs are freed): shows that activations are released after their last reader.
     */
    public int peakLiveActivations() {
        return peakLiveActivations.get();
    }

    /** Every node output of the model's ONNX graph, in graph order: the values a user can pick. */
    static List<String> nodeOutputs(Model model) {
        List<String> names = new ArrayList<>();
        for (org.neuralj.onnx.OnnxNode n : model.onnx().graph().nodes()) {
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    names.add(o);
                }
            }
        }
        return names;
    }

    /** A session on the model with {@code values} made graph outputs, so fusion keeps them (one kept at a time). */
    private synchronized Session unfused(java.util.Set<String> values) {
        if (unfused == null || !unfused.keptValues.equals(values)) {
            if (unfused != null) {
                unfused.close();
            }
            org.neuralj.onnx.OnnxModel onnx = model.onnx();
            org.neuralj.onnx.OnnxGraph g = onnx.graph();
            List<org.neuralj.onnx.ValueInfo> outputs = new ArrayList<>(g.outputs());
            for (String v : values) {
                outputs.add(new org.neuralj.onnx.ValueInfo(v, org.neuralj.onnx.DataType.FLOAT.code(), null, null));
            }
            org.neuralj.onnx.OnnxGraph kept = new org.neuralj.onnx.OnnxGraph(g.name(), g.nodes(), g.initializers(), g.inputs(),
                    outputs, g.valueInfo());
            Session s = new Session(Model.fromOnnx(new org.neuralj.onnx.OnnxModel(onnx.irVersion(), onnx.opsetImports(),
                    onnx.producerName(), onnx.producerVersion(), kept), model.source()), backend);
            s.acceptNonFinite = acceptNonFinite;
            s.keptValues = java.util.Set.copyOf(values);
            unfused = s;
        }
        return unfused;
    }

    /** Releases the weights held on the device (the backend stays open). */
    @Override
    public void close() {
        deviceConstants.values().forEach(Tensor::close);
        deviceConstants.clear();
        synchronized (this) {
            if (unfused != null) {
                unfused.close();
                unfused = null;
            }
        }
    }
}
