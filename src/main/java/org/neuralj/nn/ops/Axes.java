package org.neuralj.nn.ops;

import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.UnsupportedOperatorException;

/** Axis arguments: negative axes count from the end; out of range names the node. */
final class Axes {
    private Axes() {
    }

    static int normalize(long axis, int rank, NodeInfo node) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new UnsupportedOperatorException(node + ": axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    static boolean[] mask(long[] axes, int rank, NodeInfo node) {
        boolean[] m = new boolean[rank];
        for (long a : axes) {
            m[normalize(a, rank, node)] = true;
        }
        return m;
    }

    static int product(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }
}
