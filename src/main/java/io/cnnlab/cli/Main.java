package io.cnnlab.cli;

import io.cnnlab.UserException;
import io.cnnlab.backend.Backend;
import io.cnnlab.backend.CudaDriverCheck;
import io.cnnlab.util.RuntimeInfo;
import io.cnnlab.train.TrainingStopped;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code cnnlab}: the notebook's CNN design study on CIFAR-2 / CIFAR-10, on DL4J. */
@Command(name = "cnnlab", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train, compare, evaluate and use the CIFAR CNNs of the design notebook, on Deeplearning4j.",
        subcommands = {TrainCommand.class, CompareCommand.class, EvaluateCommand.class, PredictCommand.class, BenchCommand.class,
            ArchsCommand.class, SummaryCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad input: a wrong option, a missing file, a corrupt download. */
    public static final int BAD_INPUT = 2;
    /** The commands that start ND4J, which the CUDA build's start-up check guards. */
    private static final java.util.Set<String> NEEDS_BACKEND = java.util.Set.of("train", "compare", "evaluate", "predict",
            "bench", "summary");
    /** Exit code for an internal error: a bug in cnnlab or below it, printed with its cause and trace. */
    public static final int INTERNAL_ERROR = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (0 ok, 1 internal error, 2 bad input). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        if (args.length > 0 && NEEDS_BACKEND.contains(args[0])) {
            try {
                CudaDriverCheck.require();
                Backend.configure(); // the application's process-wide ND4J/DL4J settings, before any model exists
            } catch (UserException e) {
                cl.getErr().println("cnnlab: " + e.getMessage());
                return BAD_INPUT;
            }
        }
        cl.setParameterExceptionHandler(Main::badParameter);
        cl.setExecutionExceptionHandler(Main::failed);
        return cl.execute(args);
    }

    private static int badParameter(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("cnnlab: " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        return BAD_INPUT;
    }

    private static int failed(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        return exitCode(e, cmd.getErr());
    }

    /** Prints what {@code e} means for the user and returns the exit code: 2 only for input cnnlab validated. */
    static int exitCode(Exception e, PrintWriter err) {
        if (e instanceof TrainingStopped stopped) {
            err.println("cnnlab: " + stopped.getMessage());
            return stopped.exitCode();
        }
        // Only inputs cnnlab validated are bad input; anything else, an IllegalArgumentException from
        // inside DL4J included, is a bug to report, with its trace.
        Throwable user = e;
        while (user != null && !(user instanceof UserException)) {
            user = user.getCause();
        }
        if (user != null) {
            err.println("cnnlab: " + user.getMessage());
            return BAD_INPUT;
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        err.println("cnnlab: internal error: " + root + "; please report it with the command you ran and this trace:");
        e.printStackTrace(err);
        return INTERNAL_ERROR;
    }

    /** Prints cnnlab's and DL4J's versions. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"cnnlab " + RuntimeInfo.cnnlabVersion() + " (Deeplearning4j " + RuntimeInfo.dl4jVersion() + ")"};
        }
    }
}
