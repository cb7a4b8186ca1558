package io.cnnlab.util;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WordsTest {
    @Test
    void oneIsSingularEveryOtherCountPlural() {
        assertEquals("1 seed", Words.count(1, "seed"));
        assertEquals("3 seeds", Words.count(3, "seed"));
        assertEquals("0 epochs", Words.count(0, "epoch"));
        assertEquals("9 architectures", Words.count(9, "architecture"));
    }
}
