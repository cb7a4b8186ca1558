package io.cnnlab;

/**
 * A problem with the user's input or environment (a missing file, a bad value, a corrupt download),
 * as opposed to a bug. Its message is one line that names the problem and, where there is one, the
 * fix; the command line prints it and exits with code 2.
 */
public class UserException extends RuntimeException {
    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
