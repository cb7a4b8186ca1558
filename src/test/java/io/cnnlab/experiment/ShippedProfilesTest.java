package io.cnnlab.experiment;

import io.cnnlab.train.Recipe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Every profile in profiles/ loads under the keys of its command, and the recipe profiles say what the docs report. */
class ShippedProfilesTest {

    @Test
    void everyShippedProfileLoadsAsATrainingOrAComparisonProfile() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("profiles"))) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertFalse(files.size() < 12, "profiles/ holds the nine notebook profiles, notebook and two recipes: " + files);
        for (Path f : files) {
            boolean comparison = Files.readString(f).lines().anyMatch(l -> l.startsWith("archs:"));
            Profile p = comparison ? Profiles.loadComparison(f.toString()) : Profiles.load(f.toString());
            if (comparison) {
                assertFalse(p.archs().isEmpty(), f.toString());
            } else {
                assertFalse(p.arch() == null, f + " names its architecture");
            }
        }
    }

    @Test
    void theRecipeProfilesHoldTheRecipesOfDocsRecipes() {
        Profile c10 = Profiles.load("profiles/cifar10-60min.yaml");
        assertEquals("fast", c10.arch());
        assertEquals("cifar10", c10.dataset());
        assertEquals(new Recipe(true, 0, "nesterov", 0.9, 0.01, "onecycle", 3, 0.2, 0), c10.recipe());
        assertEquals(List.of(40, 256, 0.05), List.of(c10.epochs(), c10.batchSize(), c10.learningRate()));

        Profile c2 = Profiles.loadComparison("profiles/cifar2-best.yaml");
        assertEquals(List.of("resdeep"), c2.archs());
        assertEquals(new Recipe(true, 0, "adam", 0.9, 5e-4, "cosine", 2, 0.1, 0), c2.recipe());
        assertEquals(List.of(40, 64, 0.002), List.of(c2.epochs(), c2.batchSize(), c2.learningRate()));
        assertNull(c2.width(), "the notebook's width");

        assertEquals(Recipe.NOTEBOOK, Profiles.loadComparison("notebook").recipe(), "the study keeps the notebook's recipe");
    }
}
