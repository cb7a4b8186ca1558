package io.cnnlab.train;

import io.cnnlab.UserException;
import org.deeplearning4j.config.DL4JSystemProperties;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.ui.api.UIServer;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** DL4J's training UI (Vert.x server + StatsListener) for a run, on a chosen port; off unless asked for. */
public final class TrainingUi {
    private final UIServer server;
    private final StatsStorage storage = new InMemoryStatsStorage();

    private TrainingUi(UIServer server) {
        this.server = server;
        server.attach(storage);
    }

    /** Starts the UI server on {@code port}; a port that is taken is a clear error. */
    public static TrainingUi start(int port) {
        if (port < 1 || port > 65535) {
            throw new UserException("--ui-port must be between 1 and 65535, got " + port);
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            throw new UserException("port " + port + " is in use; choose another --ui-port");
        }
        System.setProperty(DL4JSystemProperties.UI_SERVER_PORT_PROPERTY, Integer.toString(port));
        TrainingUi ui = new TrainingUi(UIServer.getInstance());
        ui.awaitReady();
        return ui;
    }

    /** getInstance() returns before Vert.x has registered every route; wait until the overview page answers. */
    private void awaitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI overview = URI.create("http://127.0.0.1:" + server.getPort() + "/train/overview");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(overview).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
                Thread.sleep(100);
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        System.err.println("cnnlab: the training UI did not answer at " + url() + " yet; it may still be starting");
    }

    public String url() {
        return "http://localhost:" + server.getPort() + "/train";
    }

    /** The listener that feeds the UI; add it to the trainer. */
    public TrainingListener listener() {
        return new StatsListener(storage);
    }

    public void stop() {
        try {
            UIServer.stopInstance();
        } catch (Exception ignored) {
            // the server's threads end with the process anyway
        }
    }
}
