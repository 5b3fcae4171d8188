package org.pcipass.guest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class XmlTextTest {
    @Test
    void theFiveMarkupCharactersBecomeEntities() {
        assertThat(XmlText.escape("AT&T <\"Bell\"> 'Labs'"))
                .isEqualTo("AT&amp;T &lt;&quot;Bell&quot;&gt; &apos;Labs&apos;");
    }

    @Test
    void anEntityIsEscapedAgainNotPassedThrough() {
        assertThat(XmlText.escape("&amp;")).isEqualTo("&amp;amp;");
    }

    @Test
    void controlCharactersXmlCannotCarryAreDroppedAndWhitespaceKept() {
        assertThat(XmlText.escape("a\u0000b\u0007c\u001bd\te\nf\rg")).isEqualTo("abcd\te\nf\rg");
    }

    @Test
    void plainAndNonAsciiTextIsUnchanged() {
        assertThat(XmlText.escape("Realtek Semiconductor Co., Ltd. — RTL8111/8168 [Größe]"))
                .isEqualTo("Realtek Semiconductor Co., Ltd. — RTL8111/8168 [Größe]");
    }
}
