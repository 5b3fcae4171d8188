package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class JsonHexTest {
    @Property(tries = 2000)
    void hexIsZeroPaddedLowerCaseAsFormatWouldWriteIt(@ForAll int value, @ForAll @IntRange(min = 1, max = 8) int digits) {
        assertThat(Json.hex(value, digits)).isEqualTo(String.format("%0" + digits + "x", value));
    }

    @Property
    void idsClassesAndRevisions(@ForAll @IntRange(min = 0, max = 0xffffff) int value) {
        assertThat(Json.hex(value & 0xff, 2)).isEqualTo(String.format("%02x", value & 0xff));
        assertThat(Json.hex(value & 0xffff, 4)).isEqualTo(String.format("%04x", value & 0xffff));
        assertThat(Json.hex(value, 6)).isEqualTo(String.format("%06x", value));
    }
}
