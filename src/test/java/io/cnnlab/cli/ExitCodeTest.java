package io.cnnlab.cli;

import io.cnnlab.UserException;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exit 2 means input cnnlab validated; every other failure is exit 1 with its cause and trace. */
class ExitCodeTest {
    private static String[] run(Exception e) {
        StringWriter text = new StringWriter();
        int code = Main.exitCode(e, new PrintWriter(text, true));
        return new String[] {String.valueOf(code), text.toString()};
    }

    @Test
    void aUserExceptionAnywhereInTheCauseChainIsBadInputInOneLine() {
        String[] r = run(new RuntimeException("wrapped", new UserException("data path x does not exist; pass --data")));
        assertEquals("2", r[0]);
        assertEquals("cnnlab: data path x does not exist; pass --data", r[1].strip());
    }

    @Test
    void anIllegalArgumentExceptionFromInsideIsAnInternalErrorWithItsCause() {
        String[] r = run(new IllegalStateException("step failed", new IllegalArgumentException("Invalid shape [3, 2]")));
        assertEquals("1", r[0]);
        assertTrue(r[1].startsWith("cnnlab: internal error: java.lang.IllegalArgumentException: Invalid shape [3, 2];")
                && r[1].contains("please report it") && r[1].contains("\tat "), r[1]);
    }
}
