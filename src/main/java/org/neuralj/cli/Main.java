package org.neuralj.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.NeuralJException;

/**
 * The headless front end: {@code neuralj <command> [options]}. Exit codes: 0 done, 1 the work
 * failed (reason printed), 2 bad usage.
 */
public final class Main {
    /** A command's own usage error: printed with its help, exit code 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    interface Command {
        String summary();

        String usage();

        /** Runs the command: results on {@code out}; progress and per-file lines of batch commands on {@code err}. */
        void run(Args args, PrintStream out, PrintStream err) throws Exception;
    }

    /** The process's real stdout when started through {@link #main} (System.out then points to stderr). */
    static volatile PrintStream stdout;

    static final Map<String, Command> COMMANDS = new java.util.LinkedHashMap<>();

    static {
        COMMANDS.put("devices", new DevicesCommand());
        COMMANDS.put("info", new InfoCommand());
        COMMANDS.put("run", new RunCommand());
        COMMANDS.put("apply", new ApplyCommand());
        COMMANDS.put("filter", new FilterCommand());
        COMMANDS.put("segment", new SegmentCommand());
        COMMANDS.put("classify", new ClassifyCommand());
        COMMANDS.put("train", new TrainCommand());
        COMMANDS.put("evaluate", new EvaluateCommand());
        COMMANDS.put("calibrate", new CalibrateCommand());
        COMMANDS.put("slurm", new SlurmCommand());
        COMMANDS.put("explain", new ExplainCommand());
    }

    private Main() {
    }

    public static void main(String[] argv) {
        // no window is ever opened: ImageJ reads and writes files only (cluster nodes have no display)
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        // stdout carries only NeuralJ's own output (a --json summary stays parseable): ImageJ's own
        // messages, which it prints with System.out when headless, go to stderr
        PrintStream out = System.out;
        stdout = out;
        System.setOut(System.err);
        int code = run(argv, out, System.err);
        out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns the exit code (so tests can call it in-process too). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            printHelp(argv.length == 0 ? err : out);
            return argv.length == 0 ? 2 : 0;
        }
        Command command = COMMANDS.get(argv[0]);
        if (command == null) {
            err.println("neuralj: unknown command '" + argv[0] + "'");
            printHelp(err);
            return 2;
        }
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(command.usage());
            return 0;
        }
        try {
            command.run(new Args(rest), out, err);
            return 0;
        } catch (UsageException e) {
            err.println("neuralj " + argv[0] + ": " + e.getMessage());
            err.println(command.usage());
            return 2;
        } catch (NeuralJException e) {
            err.println("neuralj " + argv[0] + ": " + e.getMessage());
            return 1;
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            err.println("neuralj " + argv[0] + ": " + e);
            return 1;
        } catch (Exception e) {
            err.println("neuralj " + argv[0] + ": unexpected error: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static void printHelp(PrintStream s) {
        s.println("NeuralJ: convolutional neural networks for microscopy, on OpenCL or the CPU.");
        s.println("usage: neuralj <command> [options]   (neuralj <command> --help for details)");
        s.println();
        COMMANDS.forEach((name, c) -> s.printf("  %-8s %s%n", name, c.summary()));
    }
}
