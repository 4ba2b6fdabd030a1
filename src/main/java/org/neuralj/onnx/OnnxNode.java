package org.neuralj.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application (NodeProto). Input names may be "" for an optional input left out.
 * Attributes keep the file's order. The typed getters return the default when the attribute is
 * absent and throw a {@link ModelFormatException} naming the node when it has the wrong type.
 *
 * @param domain "" for the default ONNX operator set ("ai.onnx" is read as "")
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    public OnnxNode {
        name = name == null ? "" : name;
        opType = opType == null ? "" : opType;
        domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        attributes = attributes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    /** A node in the default domain with no name. */
    public static OnnxNode of(String opType, List<String> inputs, List<String> outputs, OnnxAttribute... attributes) {
        Map<String, OnnxAttribute> m = new LinkedHashMap<>();
        for (OnnxAttribute a : attributes) {
            if (m.put(a.name(), a) != null) {
                throw new IllegalArgumentException(opType + " node: attribute '" + a.name() + "' given twice");
            }
        }
        return new OnnxNode("", opType, "", inputs, outputs, m);
    }

    public OnnxNode withName(String newName) {
        return new OnnxNode(newName, opType, domain, inputs, outputs, attributes);
    }

    /** "node 'conv1' (Conv)" or "Conv node producing 'y'" when unnamed, for error messages. */
    public String describe() {
        if (!name.isEmpty()) {
            return "node '" + name + "' (" + opType + ")";
        }
        return opType + " node producing " + (outputs.isEmpty() ? "nothing" : "'" + outputs.get(0) + "'");
    }

    /** The i-th input name, or "" when there are fewer inputs (an optional input left out). */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    /** Whether the i-th (optional) input is given. */
    public boolean hasInput(int i) {
        return !input(i).isEmpty();
    }

    public boolean has(String attribute) {
        return attributes.containsKey(attribute);
    }

    /** The attribute, or null. */
    public OnnxAttribute attribute(String attribute) {
        return attributes.get(attribute);
    }

    private ModelFormatException wrap(ModelFormatException e) {
        return new ModelFormatException(describe() + ": " + e.getMessage(), e);
    }

    public long getLong(String attribute, long defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asLong();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    public int getInt(String attribute, int defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asInt();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    public float getFloat(String attribute, float defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asFloat();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    public String getString(String attribute, String defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asString();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    /** INTS as long[] (a copy), or the default. */
    public long[] getLongs(String attribute, long[] defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asLongs();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    /** INTS as int[] (a copy; each value must fit an int), or the default. */
    public int[] getInts(String attribute, int[] defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asInts();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    public float[] getFloats(String attribute, float[] defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asFloats();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    public List<String> getStrings(String attribute, List<String> defaultValue) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? defaultValue : a.asStrings();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    /** A TENSOR attribute, or null when absent. */
    public OnnxTensor getTensor(String attribute) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? null : a.asTensor();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    /** A GRAPH attribute (the body of If / Loop / Scan), or null when absent. */
    public OnnxGraph getGraph(String attribute) {
        OnnxAttribute a = attributes.get(attribute);
        try {
            return a == null ? null : a.asGraph();
        } catch (ModelFormatException e) {
            throw wrap(e);
        }
    }

    @Override
    public String toString() {
        return describe() + " " + inputs + " -> " + outputs + (attributes.isEmpty() ? "" : " " + attributes.values());
    }
}
