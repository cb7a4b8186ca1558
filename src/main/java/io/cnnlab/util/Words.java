package io.cnnlab.util;

/** Counted nouns for what the command line and the report print ("1 seed", "3 seeds"). */
public final class Words {
    private Words() {
    }

    /** {@code n} and the noun, in the plural (an added "s") unless {@code n} is 1. */
    public static String count(long n, String singular) {
        return n + " " + (n == 1 ? singular : singular + "s");
    }
}
