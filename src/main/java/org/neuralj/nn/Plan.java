package org.neuralj.nn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.Tensor;

/**
 * A model prepared for one set of input shapes: every value's shape and type is known, every
 * sub-graph that depends only on constants or shapes is folded into constants, and each dynamic
 * value knows the step after which nobody reads it (so it can be freed: activations do not pile up).
 */
public final class Plan {

    /** One node left to run on the device. */
    public record Planned(Model.Node node, Step step, List<String> inputs, List<String> outputs, List<String> freeAfter) {
    }

    private final Map<String, Meta> values;
    private final List<Planned> steps;

    private Plan(Map<String, Meta> values, List<Planned> steps) {
        this.values = values;
        this.steps = steps;
    }

    public Meta meta(String name) {
        return values.get(name);
    }

    public List<Planned> steps() {
        return steps;
    }

    /** Shape inference and constant folding over the whole graph for the given input shapes. */
    static Plan create(Model model, Map<String, int[]> inputShapes, Map<String, float[]> knownValues, Backend folder) {
        Map<String, Meta> values = new HashMap<>(model.constants());
        for (Model.Input input : model.inputs()) {
            int[] shape = inputShapes.get(input.name());
            if (shape == null) {
                throw new InvalidInputException(model.source() + ": no shape for input '" + input.name() + "'");
            }
            float[] value = knownValues.get(input.name());
            values.put(input.name(), value != null ? Meta.constant(shape, input.type(), value) : Meta.of(shape, input.type()));
        }
        List<Planned> steps = new ArrayList<>();
        {
            for (Model.Node node : model.nodes()) {
                List<Meta> in = new ArrayList<>();
                boolean allConstant = true;
                for (String name : node.inputs()) {
                    Meta m = name.isEmpty() ? null : values.get(name);
                    if (!name.isEmpty() && m == null) {
                        throw new NeuralJException(node.info() + ": input '" + name + "' is not produced by any earlier node,"
                                + " initializer or graph input");
                    }
                    in.add(m);
                    allConstant &= m == null || m.isConstant();
                }
                Step step;
                try {
                    step = node.op().prepare(in);
                } catch (NeuralJException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new NeuralJException(node.info() + ": cannot prepare with inputs " + in + ": " + e, e);
                }
                List<Meta> outs = step.outputs();
                if (step.kernel() != null && allConstant) {
                    outs = fold(folder, step, in);
                }
                for (int i = 0; i < node.outputs().size() && i < outs.size(); i++) {
                    if (!node.outputs().get(i).isEmpty()) {
                        values.put(node.outputs().get(i), outs.get(i));
                    }
                }
                boolean produced = false;
                for (Meta m : outs) {
                    produced |= !m.isConstant();
                }
                if (produced) {
                    steps.add(new Planned(node, step, node.inputs(), node.outputs(), new ArrayList<>()));
                }
            }
        }
        markLastUses(model, values, steps);
        return new Plan(values, steps);
    }

    private static List<Meta> fold(Backend cpu, Step step, List<Meta> in) {
        List<Tensor> tensors = new ArrayList<>();
        try {
            for (Meta m : in) {
                tensors.add(m == null ? null : cpu.upload(m.constant(), m.shape()));
            }
            List<Tensor> results = step.kernel().run(cpu, tensors);
            List<Meta> outs = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                try (Tensor r = results.get(i)) {
                    Meta declared = step.outputs().get(i);
                    outs.add(Meta.constant(r.shape(), declared.type(), cpu.download(r)));
                }
            }
            return outs;
        } finally {
            for (Tensor t : tensors) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    /** Records, for each step, the dynamic values it reads for the last time (graph outputs are kept). */
    private static void markLastUses(Model model, Map<String, Meta> values, List<Planned> steps) {
        Map<String, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            for (String name : steps.get(i).inputs()) {
                if (!name.isEmpty() && !values.get(name).isConstant()) {
                    lastUse.put(name, i);
                }
            }
            for (String name : steps.get(i).outputs()) {
                lastUse.putIfAbsent(name, i); // an output nobody reads is freed right away
            }
        }
        for (String output : model.outputNames()) {
            lastUse.remove(output);
        }
        for (Model.Input input : model.inputs()) {
            lastUse.remove(input.name()); // the caller owns the inputs
        }
        lastUse.forEach((name, step) -> steps.get(step).freeAfter().add(name));
    }
}
