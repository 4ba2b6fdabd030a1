package org.neuralj.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;

/** The backends of {@link Backends#available()}, opened once per test class and closed by it. */
final class TrainBackends implements AutoCloseable {
    private final Map<String, Backend> open = new LinkedHashMap<>();

    static List<String> specs() {
        return Backends.available();
    }

    synchronized Backend get(String spec) {
        return open.computeIfAbsent(spec, Backends::select);
    }

    @Override
    public synchronized void close() {
        open.values().forEach(Backend::close);
        open.clear();
    }
}
