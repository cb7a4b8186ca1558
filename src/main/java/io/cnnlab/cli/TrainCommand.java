package io.cnnlab.cli;

import io.cnnlab.experiment.Profile;
import io.cnnlab.UserException;
import io.cnnlab.train.RunFolder;
import io.cnnlab.backend.Backend;
import io.cnnlab.data.CifarData;
import io.cnnlab.data.DataSources;
import io.cnnlab.train.Checkpoints;
import io.cnnlab.experiment.Profiles;
import io.cnnlab.util.RunLock;
import io.cnnlab.train.TrainConfig;
import io.cnnlab.train.Trainer;
import io.cnnlab.train.TrainingUi;
import io.cnnlab.util.Words;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/** {@code cnnlab train}: one architecture, one seed, the notebook's training loop. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train one architecture and report train/val accuracy like the notebook.",
            "Settings come from, in order of precedence: these flags, --profile, the architecture's "
                + "bundled profile (profiles/<arch>.yaml), the notebook's defaults."})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--arch", description = "Architecture (see 'cnnlab archs'); default net.")
    String arch;

    @Option(names = "--profile", paramLabel = "FILE|NAME", description = "YAML profile with these settings.")
    String profile;

    @picocli.CommandLine.Mixin
    RunOptions options = new RunOptions();

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder; default runs/<arch>-<dataset>-<time>.")
    Path out;

    @Option(names = "--no-nan-guard", description = "Keep training when the loss becomes NaN or infinite.")
    boolean noNanGuard;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the run in DIR from its latest checkpoint (its settings; --epochs may extend it).")
    Path resume;

    @Option(names = "--keep-checkpoints", paramLabel = "K", defaultValue = "2",
            description = "Checkpoints to keep in the run folder; default ${DEFAULT-VALUE}.")
    int keepCheckpoints;

    @Option(names = "--ui", description = "Show DL4J's training UI in the browser while training (port: --ui-port).")
    boolean ui;

    @Option(names = "--ui-port", defaultValue = "9000", description = "Port of the training UI; default ${DEFAULT-VALUE}.")
    int uiPort;

    /** Flags over --profile over the arch's bundled profile over the notebook's defaults. */
    Profile settings() {
        Profile fromProfile = profile == null ? Profile.EMPTY : Profiles.load(profile);
        String archName = arch != null ? arch : fromProfile.arch() != null ? fromProfile.arch() : "net";
        Profile archProfile = Profiles.bundled(archName);
        return Profile.NOTEBOOK.over(archProfile != null ? archProfile : Profile.EMPTY).over(fromProfile)
                .over(options.given()).over(Profile.given("arch", arch));
    }

    /** A trainer for this command: checkpoint policy and, with --ui, DL4J's training UI. */
    private Trainer trainer() {
        Trainer t = new Trainer(System.out).keepCheckpoints(keepCheckpoints).pipeline(options.pipeline);
        if (ui) {
            TrainingUi server = TrainingUi.start(uiPort);
            System.out.println("cnnlab: training UI at " + server.url() + " (open it in a browser)");
            t.listeners(java.util.List.of(server.listener()));
        }
        return t;
    }

    @Override
    public Integer call() {
        if (resume != null) {
            return resume();
        }
        Profile s = settings();
        String arch = s.arch();
        String dataset = s.dataset();
        Path outDir = out != null ? out : s.out() != null ? Path.of(s.out())
                : Path.of("runs", arch + "-" + dataset.replace(',', '_') + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        TrainConfig cfg = new TrainConfig(arch, dataset, s.epochs(), s.batchSize(), s.learningRate(), s.seed(),
                s.data() == null ? DataSources.resolveSpec(null) : s.data(), outDir.toAbsolutePath().normalize(),
                !noNanGuard, options.workers(), s.recipe(), s.widthOrDefault());
        DataSources.Loaded loaded = load(cfg.dataset(), cfg.data());
        RunFolder.prepare(cfg.out());
        try (RunLock lock = RunLock.acquire(cfg.out())) {
            if (new Checkpoints(cfg.out(), keepCheckpoints).latest().isPresent()) {
                throw new UserException(cfg.out() + " already holds a run with checkpoints; resume it with"
                        + " --resume " + cfg.out() + " or choose another --out");
            }
            announce(cfg, loaded);
            trainer().train(cfg, loaded.data(), loaded.source(), loaded.seconds());
        }
        System.out.println("cnnlab: wrote " + cfg.out().resolve("model.zip") + ", model.json and metrics.json");
        return 0;
    }

    private Integer resume() {
        Path dir = resume.toAbsolutePath().normalize();
        Checkpoints checkpoints = new Checkpoints(dir, keepCheckpoints);
        Path latest = checkpoints.latest().orElseThrow(() -> new UserException("no checkpoint in "
                + checkpoints.dir() + "; nothing to resume (start a new run with --out instead)"));
        TrainConfig cfg = Checkpoints.readState(latest).config();
        DataSources.Loaded loaded = load(cfg.dataset(), cfg.data());
        try (RunLock lock = RunLock.acquire(dir)) {
            announce(options.epochs == null ? cfg : cfg.withEpochs(options.epochs), loaded);
            trainer().resume(dir, options.epochs, loaded.data(), loaded.source(), loaded.seconds());
        }
        System.out.println("cnnlab: wrote " + dir.resolve("model.zip") + ", model.json and metrics.json");
        return 0;
    }

    /** The data at {@code spec}, already reduced to the classes of {@code dataset}. */
    static DataSources.Loaded load(String dataset, String spec) {
        return new DataSources(DataSources.defaultHome()).load(spec, CifarData.classesOf(dataset));
    }

    private static void announce(TrainConfig cfg, DataSources.Loaded loaded) {
        CifarData data = loaded.data();
        System.out.printf("cnnlab: %s on %s: %,d train / %,d val images from %s (%s in %.2f s)%n", cfg.arch(),
                cfg.dataset(), data.train().size(), data.test().size(), loaded.source(),
                loaded.fromCache() ? "cached" : "decoded", loaded.seconds());
        System.out.printf("cnnlab: %s, batch %d, lr %s, recipe %s, seed %d, backend %s%n", Words.count(cfg.epochs(), "epoch"),
                cfg.batchSize(), cfg.learningRate(), cfg.recipe().describe(), cfg.seed(), Backend.describe());
    }
}
