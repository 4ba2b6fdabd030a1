package org.neuralj.nn;

import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;

/**
 * A node's attributes and identity as the ops read them, with the opset in force; its
 * {@code toString} ("node 'conv1' (Conv, opset 13) in unet.onnx") starts every error about it.
 */
public final class NodeInfo {
    private final OnnxNode node;
    private final int opset;
    private final String file;

    public NodeInfo(OnnxNode node, int opset, String file) {
        this.node = node;
        this.opset = opset;
        this.file = file;
    }

    public String opType() {
        return node.opType();
    }

    public String name() {
        return node.name();
    }

    public String domain() {
        return node.domain() == null ? "" : node.domain();
    }

    public int opset() {
        return opset;
    }

    public int outputCount() {
        return node.outputs().size();
    }

    public boolean has(String attribute) {
        return node.has(attribute);
    }

    public int getInt(String attribute, int defaultValue) {
        return node.getInt(attribute, defaultValue);
    }

    public float getFloat(String attribute, float defaultValue) {
        return node.getFloat(attribute, defaultValue);
    }

    public String getString(String attribute, String defaultValue) {
        return node.getString(attribute, defaultValue);
    }

    public int[] getInts(String attribute, int[] defaultValue) {
        return node.getInts(attribute, defaultValue);
    }

    /** The attribute's integers; an {@link UnsupportedOperatorException} if it is missing. */
    public long[] getLongs(String attribute) {
        long[] v = node.getLongs(attribute, null);
        if (v == null) {
            throw new UnsupportedOperatorException(this + ": attribute '" + attribute + "' is required");
        }
        return v;
    }

    public float[] getFloats(String attribute) {
        float[] v = node.getFloats(attribute, null);
        if (v == null) {
            throw new UnsupportedOperatorException(this + ": attribute '" + attribute + "' is required");
        }
        return v;
    }

    public OnnxTensor getTensor(String attribute) {
        return node.getTensor(attribute);
    }

    @Override
    public String toString() {
        String who = node.name() == null || node.name().isEmpty() ? "node with outputs " + node.outputs() : "node '" + node.name() + "'";
        return who + " (" + node.opType() + ", opset " + opset + ")" + (file == null ? "" : " in " + file);
    }
}
