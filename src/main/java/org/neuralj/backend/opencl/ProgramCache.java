package org.neuralj.backend.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;
import org.neuralj.backend.NeuralJException;

/**
 * Compiled programs and their kernels for one (context, device), keyed by (kernel file, defines):
 * each combination compiles once. Sources are class-path resources under {@code kernels/}; an
 * {@code #include "x.cl"} line is replaced by that resource (so a file also compiles standalone with
 * {@code -I kernels}). Thread-safe.
 */
final class ProgramCache {
    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*#include\\s+\"([^\"]+)\"\\s*$");

    /** Cache key; {@code device} is part of it so the key says what it is for. */
    record Key(String device, String file, String defines) {
    }

    private record KernelKey(Key program, String kernel) {
    }

    private final cl_context context;
    private final cl_device_id device;
    private final String deviceName;
    private final String baseOptions;
    private final Map<Key, cl_program> programs = new ConcurrentHashMap<>();
    private final Map<KernelKey, cl_kernel> kernels = new ConcurrentHashMap<>();
    private final Map<String, String> sources = new ConcurrentHashMap<>();
    private final AtomicInteger compiles = new AtomicInteger();

    ProgramCache(cl_context context, cl_device_id device, String deviceName, String baseOptions) {
        this.context = context;
        this.device = device;
        this.deviceName = deviceName;
        this.baseOptions = baseOptions;
    }

    /** The kernel {@code name} of {@code file} built with {@code defines} (e.g. "-DTILE=16"). */
    cl_kernel kernel(String file, String defines, String name) {
        Key key = new Key(deviceName, file, defines);
        return kernels.computeIfAbsent(new KernelKey(key, name), k -> {
            cl_program program = programs.computeIfAbsent(key, this::build);
            try {
                return CL.clCreateKernel(program, name, null);
            } catch (CLException e) {
                throw new NeuralJException("OpenCL " + ClErrors.name(e.getStatus()) + ": no kernel '" + name
                        + "' in " + file + " on " + deviceName, e);
            }
        });
    }

    /** How many programs were compiled so far. */
    int compiles() {
        return compiles.get();
    }

    private cl_program build(Key key) {
        String source = source(key.file());
        cl_program program = CL.clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        String options = (baseOptions + " " + key.defines()).trim();
        try {
            CL.clBuildProgram(program, 1, new cl_device_id[] {device}, options, null, null);
        } catch (CLException e) {
            String log = buildLog(program);
            CL.clReleaseProgram(program);
            throw new NeuralJException("OpenCL kernel file " + key.file() + " failed to compile on " + deviceName
                    + " (" + ClErrors.name(e.getStatus()) + ", options '" + options + "'):\n" + log, e);
        }
        compiles.incrementAndGet();
        return program;
    }

    private String buildLog(cl_program program) {
        try {
            long[] size = new long[1];
            CL.clGetProgramBuildInfo(program, device, CL.CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] buffer = new byte[(int) size[0]];
            CL.clGetProgramBuildInfo(program, device, CL.CL_PROGRAM_BUILD_LOG, buffer.length, Pointer.to(buffer), null);
            return new String(buffer, StandardCharsets.UTF_8).trim();
        } catch (CLException e) {
            return "(no build log: " + ClErrors.name(e.getStatus()) + ")";
        }
    }

    /** The source of a kernel file with its includes inlined. */
    String source(String file) {
        return sources.computeIfAbsent(file, f -> inline(f, 0));
    }

    private static String inline(String file, int depth) {
        if (depth > 8) {
            throw new NeuralJException("OpenCL kernel includes nested too deep at " + file);
        }
        String text = read(file);
        Matcher m = INCLUDE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(inline(m.group(1), depth + 1)));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String read(String file) {
        String path = "kernels/" + file;
        try (InputStream in = ProgramCache.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new NeuralJException("OpenCL kernel file " + path + " is missing from the class path (next to "
                        + ProgramCache.class.getName() + ")");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NeuralJException("cannot read OpenCL kernel file " + path + ": " + e.getMessage(), e);
        }
    }

    /** Releases every kernel and program. */
    void release() {
        for (cl_kernel k : kernels.values()) {
            CL.clReleaseKernel(k);
        }
        kernels.clear();
        for (cl_program p : programs.values()) {
            CL.clReleaseProgram(p);
        }
        programs.clear();
    }
}
