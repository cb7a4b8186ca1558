package io.cnnlab.util;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The JSON mapper of every file cnnlab writes and reads (metrics, model.json, checkpoint state, results). */
public final class Json {
    /** Indented output; Java records and paths are built into Jackson. */
    public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }
}
