package org.pcipass.guest;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.pcipass.pci.PciAddress;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * What pcipass reads from a libvirt domain XML ({@code virDomainGetXMLDesc}): the domain's name and
 * type, its OS type (Xen PV is {@code linux} or {@code xen}, HVM is {@code hvm}), Xen's passthrough
 * feature, the libosinfo OS id, and every PCI device it holds.
 *
 * <p>The XML comes from libvirt, which never writes a DOCTYPE: one is refused (no entity is ever
 * expanded, no external file or URL fetched), whatever the document says.
 *
 * @param type {@code <domain type>}: {@code xen}, {@code kvm}, {@code qemu}, {@code test}…
 * @param osType {@code <os><type>}: {@code hvm}, {@code linux}, {@code xen}, {@code xenpvh}…; null when absent
 * @param xenPassthrough {@code <features><xen><passthrough state='on'/>}
 * @param osId {@code <metadata><libosinfo:libosinfo><libosinfo:os id>}, or null
 * @param hostdevs the PCI devices: {@code <hostdev mode='subsystem' type='pci'>} and
 *     {@code <interface type='hostdev'>} (an SR-IOV VF given as a NIC), in document order
 */
public record DomainXml(String name, String type, String osType, boolean xenPassthrough, String osId,
        List<PciHostdev> hostdevs) {
    /** libosinfo's namespace for its libvirt metadata element. */
    public static final String LIBOSINFO_NS = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

    /** One PCI device of a domain and libvirt's {@code managed} flag (absent = no). */
    public record PciHostdev(PciAddress device, boolean managed) {
        public PciHostdev {
            Objects.requireNonNull(device, "device");
        }
    }

    public DomainXml {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        hostdevs = List.copyOf(hostdevs);
    }

    /** A Xen guest ({@code <domain type='xen'>}). */
    public boolean xen() {
        return type.equals("xen");
    }

    /** Xen PV: OS type {@code linux} (libvirt's name) or {@code xen} (the older one). */
    public boolean paravirtualized() {
        return xen() && ("linux".equals(osType) || "xen".equals(osType));
    }

    /** The devices alone, in document order. */
    public List<PciAddress> devices() {
        List<PciAddress> out = new ArrayList<>(hostdevs.size());
        hostdevs.forEach(h -> out.add(h.device()));
        return out;
    }

    /**
     * Parses a domain XML.
     *
     * @throws IllegalArgumentException when it is not well-formed, holds a DOCTYPE, is not a
     *     {@code <domain>}, lacks a name or type, or has a PCI address that is not a number in range;
     *     the message says which (callers add whose XML it was)
     */
    public static DomainXml parse(String xml) {
        Element root = DomainXmlParser.parse(xml).getDocumentElement();
        if (!"domain".equals(root.getLocalName()) || root.getNamespaceURI() != null) {
            throw new IllegalArgumentException("the root element is <" + root.getTagName() + ">, not <domain>");
        }
        String type = root.getAttribute("type");
        Element name = DomainXmlParser.child(root, "name");
        if (type.isEmpty() || name == null || name.getTextContent().isEmpty()) {
            throw new IllegalArgumentException("the <domain> has no " + (type.isEmpty() ? "type" : "<name>"));
        }
        Element os = DomainXmlParser.child(root, "os");
        Element osType = os == null ? null : DomainXmlParser.child(os, "type");
        return new DomainXml(name.getTextContent(), type, osType == null ? null : osType.getTextContent().strip(),
                passthrough(root), osId(root), hostdevs(root));
    }

    private static boolean passthrough(Element root) {
        Element p = DomainXmlParser.path(root, "features", "xen", "passthrough");
        return p != null && "on".equals(p.getAttribute("state"));
    }

    private static String osId(Element root) {
        Element metadata = DomainXmlParser.child(root, "metadata");
        if (metadata == null) {
            return null;
        }
        for (Element info : DomainXmlParser.children(metadata, LIBOSINFO_NS, "libosinfo")) {
            for (Element os : DomainXmlParser.children(info, LIBOSINFO_NS, "os")) {
                if (!os.getAttribute("id").isEmpty()) {
                    return os.getAttribute("id");
                }
            }
        }
        return null;
    }

    private static List<PciHostdev> hostdevs(Element root) {
        List<PciHostdev> out = new ArrayList<>();
        Element devices = DomainXmlParser.child(root, "devices");
        if (devices == null) {
            return out;
        }
        for (Element e : DomainXmlParser.children(devices, null, null)) {
            boolean pciHostdev = e.getLocalName().equals("hostdev") && "subsystem".equals(e.getAttribute("mode"))
                    && "pci".equals(e.getAttribute("type"));
            boolean vfInterface = e.getLocalName().equals("interface") && "hostdev".equals(e.getAttribute("type"));
            Element address = DomainXmlParser.path(e, "source", "address");
            if ((pciHostdev || vfInterface) && address != null) {
                out.add(new PciHostdev(address(address), "yes".equals(e.getAttribute("managed"))));
            }
        }
        return out;
    }

    /** libvirt reads each part with strtoul base 0 (0x hex, leading 0 octal, else decimal); a missing one is 0. */
    private static PciAddress address(Element a) {
        try {
            return new PciAddress(number(a, "domain"), (int) number(a, "bus"), (int) number(a, "slot"),
                    (int) number(a, "function"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("hostdev address " + DomainXmlParser.describe(a) + ": "
                    + e.getMessage(), e);
        }
    }

    private static long number(Element a, String attribute) {
        String v = a.getAttribute(attribute).strip();
        if (v.isEmpty()) {
            return 0;
        }
        if (v.startsWith("-") || v.startsWith("+") || v.startsWith("#")) {
            throw new IllegalArgumentException(attribute + " '" + v + "' is not an unsigned number");
        }
        try {
            return Long.decode(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(attribute + " '" + v + "' is not a number", e);
        }
    }

    /** The JDK's DOM parser, locked down: no DOCTYPE, no entities, no external access, no noise on stderr. */
    static final class DomainXmlParser {
        private static final DocumentBuilderFactory FACTORY = factory();
        private static final ErrorHandler SILENT = new ErrorHandler() {
            @Override
            public void warning(SAXParseException e) {}

            @Override
            public void error(SAXParseException e) throws SAXException {
                throw e;
            }

            @Override
            public void fatalError(SAXParseException e) throws SAXException {
                throw e;
            }
        };

        private DomainXmlParser() {}

        static Document parse(String xml) {
            try {
                DocumentBuilder b;
                synchronized (FACTORY) {
                    b = FACTORY.newDocumentBuilder();
                }
                b.setErrorHandler(SILENT);
                b.setEntityResolver((publicId, systemId) -> {
                    throw new SAXException("external entity " + systemId + " refused");
                });
                return b.parse(new InputSource(new StringReader(xml)));
            } catch (SAXParseException e) {
                throw new IllegalArgumentException("not a well-formed domain XML (line " + e.getLineNumber()
                        + "): " + oneLine(e.getMessage()), e);
            } catch (SAXException | IOException | ParserConfigurationException e) {
                throw new IllegalArgumentException("not a readable domain XML: " + oneLine(e.getMessage()), e);
            }
        }

        private static DocumentBuilderFactory factory() {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setValidating(false);
            try {
                f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
                f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                f.setFeature("http://xml.org/sax/features/external-general-entities", false);
                f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
                f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            } catch (ParserConfigurationException e) {
                throw new IllegalStateException("the JDK's XML parser cannot be locked down: " + e.getMessage(), e);
            }
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            return f;
        }

        /** The first child element named {@code local} in no namespace, or null. */
        static Element child(Element parent, String local) {
            List<Element> c = children(parent, null, local);
            return c.isEmpty() ? null : c.get(0);
        }

        /** The element at {@code parent/a/b/...} (first match at each step), or null. */
        static Element path(Element parent, String... locals) {
            Element e = parent;
            for (int i = 0; i < locals.length && e != null; i++) {
                e = child(e, locals[i]);
            }
            return e;
        }

        /** Child elements in namespace {@code ns} (null: none) named {@code local}; a null {@code local} takes all of {@code ns}. */
        static List<Element> children(Element parent, String ns, String local) {
            List<Element> out = new ArrayList<>();
            for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && Objects.equals(e.getNamespaceURI(), ns)
                        && (local == null || local.equals(e.getLocalName()))) {
                    out.add(e);
                }
            }
            return out;
        }

        static String describe(Element a) {
            return "domain='" + a.getAttribute("domain") + "' bus='" + a.getAttribute("bus") + "' slot='"
                    + a.getAttribute("slot") + "' function='" + a.getAttribute("function") + "'";
        }

        static String oneLine(String s) {
            return s == null ? "" : s.replaceAll("\\s+", " ").strip();
        }
    }
}
