package io.cnnlab.testing;

import io.cnnlab.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** Runs the real command line in-process and captures what it prints. */
public final class Cli {
    /** Exit code, standard output and standard error of one command. */
    public record Result(int code, String out, String err) {
    }

    private Cli() {
    }

    public static synchronized Result run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = Main.run(args);
            return new Result(code, out.toString(), err.toString());
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }
}
