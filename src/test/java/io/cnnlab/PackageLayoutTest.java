package io.cnnlab;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package layout the README's Layout table describes: one package per role, no cycles, and each
 * package using only the roles beneath it (a model builder needs no trainer; nothing needs the CLI).
 */
class PackageLayoutTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.cnnlab");

    /** Each package and the cnnlab packages it may use (besides itself and {@code io.cnnlab}'s {@link UserException}). */
    private static final Map<String, String[]> MAY_USE = new LinkedHashMap<>();

    static {
        MAY_USE.put("util", new String[] {});
        MAY_USE.put("model", new String[] {});
        MAY_USE.put("helpers", new String[] {"util"});
        MAY_USE.put("backend", new String[] {"helpers"});
        MAY_USE.put("backend.cpu", new String[] {});
        MAY_USE.put("data", new String[] {"util"});
        MAY_USE.put("parallel", new String[] {"backend", "helpers"});
        MAY_USE.put("inference", new String[] {"backend", "data", "model", "util"});
        MAY_USE.put("train", new String[] {"backend", "data", "inference", "model", "parallel", "util"});
        MAY_USE.put("experiment", new String[] {"backend", "data", "inference", "model", "parallel", "train", "util"});
        MAY_USE.put("report", new String[] {"experiment", "train", "util"});
        MAY_USE.put("spark", new String[] {"backend", "data", "experiment", "train", "util"});
        MAY_USE.put("cli", new String[] {"backend", "data", "experiment", "inference", "model", "parallel", "report", "spark", "train",
            "util"});
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("io.cnnlab.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void eachPackageUsesOnlyTheRolesBeneathIt() {
        for (Map.Entry<String, String[]> e : MAY_USE.entrySet()) {
            String pkg = "io.cnnlab." + e.getKey();
            String[] allowed = Arrays.stream(e.getValue()).map(p -> "io.cnnlab." + p).toArray(String[]::new);
            DescribedPredicate<JavaClass> ok = DescribedPredicate.describe(
                    "outside cnnlab, in " + pkg + ", UserException or in " + Arrays.toString(e.getValue()),
                    c -> !c.getPackageName().startsWith("io.cnnlab") || c.getPackageName().equals(pkg)
                            || c.getName().equals(UserException.class.getName())
                            || Arrays.asList(allowed).contains(c.getPackageName()));
            classes().that().resideInAPackage(pkg).should().onlyDependOnClassesThat(ok).check(MAIN);
        }
    }

    @Test
    void everyCnnlabPackageIsInTheLayout() {
        for (JavaClass c : MAIN) {
            String p = c.getPackageName();
            if (p.startsWith("io.cnnlab.")) {
                String role = p.substring("io.cnnlab.".length());
                org.junit.jupiter.api.Assertions.assertTrue(MAY_USE.containsKey(role), c.getName() + " is in a package the layout does not name");
            }
        }
    }
}
