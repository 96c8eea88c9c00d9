package io.backplane.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/CONFIG.md is what {@link ConfigReference} generates from the code. When this fails, a flag or a
 * config key changed: regenerate the file (the command is in its header and in ConfigReference) and
 * review the diff.
 */
class ConfigReferenceTest {
    private static final Path FILE = Path.of("..", "docs", "CONFIG.md");

    @Test
    void docsConfigMdIsWhatTheCodeGenerates() throws Exception {
        String generated = ConfigReference.markdown();
        assertThat(Files.readString(FILE, StandardCharsets.UTF_8))
                .as("docs/CONFIG.md is out of date; regenerate it: java -cp backplane-node/target/backplane-node.jar "
                        + "io.backplane.node.config.ConfigReference > docs/CONFIG.md")
                .isEqualTo(generated);
    }

    @Test
    void everyFlagAndEveryConfigKeyIsInTheReference() {
        String generated = ConfigReference.markdown();
        for (String flag : new picocli.CommandLine(new NodeCommand()).getCommandSpec().optionsMap().keySet()) {
            assertThat(generated).containsPattern("\\| `[^`]*" + java.util.regex.Pattern.quote(flag) + "[^`]*` \\|");
        }
        for (String key : ConfigFile.TOP_LEVEL_KEYS) {
            assertThat(generated).contains("`" + key + "`");
        }
        for (String key : ConfigFile.LIMIT_KEYS) {
            assertThat(generated).contains("| `" + key + "` |");
        }
        for (String key : ConfigFile.RETENTION_KEYS) {
            assertThat(generated).contains("| `" + key + "` |");
        }
    }
}
