package org.neuralj.backend.cpu;

/** PLACEHOLDER, to be replaced by the real CPU backend. */
public abstract class CpuBackend implements org.neuralj.backend.Backend {
}
