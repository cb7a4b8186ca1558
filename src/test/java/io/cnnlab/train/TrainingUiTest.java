package io.cnnlab.train;

import io.cnnlab.UserException;
import io.cnnlab.data.DataSources;
import io.cnnlab.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingUiTest {

    @Test
    void servesDl4jsTrainingPagesWithTheRunsStatistics(@TempDir Path tmp) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        TrainingUi ui = TrainingUi.start(port);
        try {
            var data = DataSources.decode(TestImages.tree(tmp.resolve("tree"), new String[] {"airplane", "bird"}, 32, 4));
            new Trainer(new PrintStream(OutputStream.nullOutputStream())).listeners(List.of(ui.listener()))
                    .train(new TrainConfig("net", "cifar2", 1, 16, 1e-2, 1, "tree", null, true), data, "tree", 0);
            assertEquals("http://localhost:" + port + "/train", ui.url());
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/train/overview")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode(), page.body());
            assertTrue(page.body().contains("<html"), "the overview page");
            HttpResponse<String> stats = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/train/overview/data")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, stats.statusCode());
            assertTrue(stats.body().contains("\"scores\""), "the run's scores are served: " + stats.body());
        } finally {
            ui.stop();
        }
    }

    @Test
    void aPortInUseIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            UserException e = assertThrows(UserException.class, () -> TrainingUi.start(taken.getLocalPort()));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
    }
}
