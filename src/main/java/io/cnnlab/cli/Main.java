package io.cnnlab.cli;

import io.cnnlab.UserException;
import io.cnnlab.train.RuntimeInfo;
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
        CommandLine cl = new CommandLine(new Main());
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
        PrintWriter err = cmd.getErr();
        if (e instanceof TrainingStopped stopped) {
            err.println("cnnlab: " + stopped.getMessage());
            return stopped.exitCode();
        }
        Throwable user = e;
        while (user != null && !(user instanceof UserException) && !(user instanceof IllegalArgumentException)) {
            user = user.getCause();
        }
        if (user != null) {
            err.println("cnnlab: " + user.getMessage());
            return BAD_INPUT;
        }
        err.println("cnnlab: internal error, please report it with the command you ran:");
        e.printStackTrace(err);
        return 1;
    }

    /** Prints cnnlab's and DL4J's versions. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"cnnlab " + RuntimeInfo.cnnlabVersion() + " (Deeplearning4j " + RuntimeInfo.dl4jVersion() + ")"};
        }
    }
}
