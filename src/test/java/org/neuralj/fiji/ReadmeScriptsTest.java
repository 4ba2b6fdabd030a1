package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import groovy.lang.Binding;
import groovy.lang.GroovyShell;
import ij.IJ;
import ij.ImagePlus;
import java.awt.GraphicsEnvironment;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Normalization;
import org.python.core.PyObject;
import org.python.util.PythonInterpreter;
import org.scijava.Context;
import org.scijava.module.ModuleItem;
import org.scijava.script.ScriptInfo;
import org.scijava.script.ScriptService;
import org.scijava.service.Service;

/**
 * The README's script examples ("From a script"), run exactly as written there, headless, the way Fiji
 * runs a script: SciJava's {@link ScriptInfo} parses the {@code #@} parameter lines and gives the script
 * without them; the inputs are filled as Fiji fills them (a service parameter with that service of the
 * {@link Context}, {@code ImagePlus imp} with the current image — here the sample image); the script is
 * evaluated by Groovy or Jython, and the {@code #@output} variables are read back and checked.
 */
class ReadmeScriptsTest {
    private static final String SAMPLE = "sample-data/images/synthetic-nuclei.tif";

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
        assertTrue(GraphicsEnvironment.isHeadless(), "java.awt.headless=true must hold for this test to mean anything");
    }

    @Test
    void theGroovyExampleAppliesTheModelAsTheEngineDoes() throws Exception {
        ImagePlus imp = IJ.openImage(SAMPLE);
        Map<String, Object> out = run("groovy", imp);
        ImagePlus result = assertInstanceOf(ImagePlus.class, out.get("result"), "#@output ImagePlus result");
        assertEquals("synthetic-nuclei-blob-detector", result.getTitle());
        ImagePlus expected = ApplyModel.run(new ApplyModel.Request(Path.of("sample-data/models/blob-detector.onnx"),
                Normalization.ZSCORE, true, "auto"), IJ.openImage(SAMPLE), null).image();
        assertArrayEquals((float[]) expected.getProcessor().getPixels(), (float[]) result.getProcessor().getPixels(), 1e-5f);
    }

    @Test
    void thePythonExampleSegmentsAndCountsTheNuclei() throws Exception {
        ImagePlus imp = IJ.openImage(SAMPLE);
        Map<String, Object> out = run("python", imp);
        ImagePlus labels = assertInstanceOf(ImagePlus.class, out.get("labels"), "#@output ImagePlus labels");
        assertEquals(16, labels.getBitDepth());
        int[] h = labels.getProcessor().getHistogram();
        long present = IntStream.range(1, h.length).filter(v -> h[v] > 0).count();
        int nuclei = assertInstanceOf(Integer.class, out.get("nuclei"), "#@output Integer nuclei");
        assertEquals(present, nuclei, "the script's count is the number of labels");
        assertTrue(nuclei >= 50 && nuclei <= 90, nuclei + " nuclei in the 70-nucleus sample");
    }

    /** Runs the README's one script block in LANGUAGE with Fiji's inputs; returns its outputs by name. */
    private static Map<String, Object> run(String language, ImagePlus imp) throws Exception {
        String script = readmeBlock(language);
        try (Context context = new Context()) {
            context.service(ScriptService.class).addAlias(ImagePlus.class);   // as Fiji's ImageJ 1 layer does
            ScriptInfo info = new ScriptInfo(context, "readme." + (language.equals("python") ? "py" : "groovy"),
                    new StringReader(script));
            Map<String, Object> inputs = new LinkedHashMap<>();
            for (ModuleItem<?> in : info.inputs()) {
                Class<?> type = in.getType();
                if (Service.class.isAssignableFrom(type)) {
                    inputs.put(in.getName(), context.service(type.asSubclass(Service.class)));
                } else if (type == ImagePlus.class) {
                    inputs.put(in.getName(), imp);
                } else {
                    throw new AssertionError("the README's " + language + " script asks for '" + in.getName() + "' of type "
                            + type.getName() + ", which Fiji does not fill in by itself");
                }
            }
            assertTrue(inputs.size() >= 2, language + ": the script declares its #@ inputs: " + inputs.keySet());
            List<String> outputs = java.util.stream.StreamSupport.stream(info.outputs().spliterator(), false)
                    .map(ModuleItem::getName).toList();
            String body = info.getProcessedScript();
            assertTrue(!body.contains("#@"), "SciJava took out the parameter lines:\n" + body);
            Map<String, Object> values = new LinkedHashMap<>();
            if (language.equals("groovy")) {
                Binding binding = new Binding();
                inputs.forEach(binding::setVariable);
                new GroovyShell(binding).evaluate(body);
                for (String o : outputs) {
                    values.put(o, binding.getVariable(o));
                }
            } else {
                try (PythonInterpreter py = new PythonInterpreter()) {
                    inputs.forEach(py::set);
                    py.exec(body);
                    for (String o : outputs) {
                        PyObject v = py.get(o);
                        values.put(o, v == null ? null : v.__tojava__(Object.class));
                    }
                }
            }
            return values;
        }
    }

    /** The one fenced {@code ```language} block of the README's "From a script" section. */
    static String readmeBlock(String language) throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("\n## From a script");
        assertTrue(start >= 0, "README.md has a 'From a script' section");
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(section);
        assertTrue(m.find(), "a ```" + language + " block in the README's 'From a script' section");
        String block = m.group(1);
        assertTrue(!m.find(), "one ```" + language + " block (the test runs exactly that one)");
        return block;
    }
}
