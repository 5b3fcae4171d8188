package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Nova's {@code [pci] device_spec} (nova/pci/devspec.py and whitelist.py, 26.2.2): which devices a host
 * offers to the fleet, and the tags they carry into their pools. Each value is a JSON object or an array
 * of them; the first entry that matches a device decides ({@link #tags}).
 *
 * <p>An entry: {@code vendor_id} and {@code product_id} ({@code *} or a hex number up to ffff, written
 * {@code 10DE}, {@code 0x10de} or {@code 10de}: compared, as Nova does, with the device's lower-case
 * 4-digit id), {@code address} as a glob string {@code [[[[domain]:]bus]:][slot][.[function]]} (each field
 * {@code *}, empty or hex) or an object of regular expressions {@code domain}, {@code bus}, {@code slot},
 * {@code function} (each matched at the start of the device's lower-case, zero-padded field, as Python's
 * {@code re.match}); every other key is a tag ({@code physical_network}, {@code trusted},
 * {@code remote_managed}, ...). When the address names one function that is an SR-IOV PF on the host,
 * the entry also matches that PF's VFs, as Nova's does.
 *
 * <p>Where pcipass is stricter than Nova, on values Nova accepts and then never matches or fails on later:
 * {@code devname} is refused (it needs the host's network interfaces where the spec is read), and so are
 * negative or underscored hex numbers and tag values that are arrays or objects. An entry whose
 * {@code remote_managed} is true matches no device: Nova wants the card's VPD serial number for it, which
 * pcipass does not read.
 */
public final class DeviceSpecs {
    public static final DeviceSpecs NONE = new DeviceSpecs(List.of());
    static final String ANY = "*";

    private final List<Entry> entries;

    private DeviceSpecs(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Parses the values in order.
     *
     * @throws org.pcipass.PcipassException.BadInput naming the value's {@code where} and the fix
     */
    public static DeviceSpecs parse(List<ConfigValue> values) {
        List<Entry> out = new ArrayList<>();
        for (ConfigValue v : values) {
            Object o = NovaJson.parse(v, "a device_spec value");
            List<?> list = o instanceof List<?> l ? l : List.of(o);
            for (Object e : list) {
                out.add(Entry.parse(NovaJson.object(e, v, "each device_spec entry"), v));
            }
        }
        return new DeviceSpecs(out);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public int size() {
        return entries.size();
    }

    /**
     * The tags of the first entry that matches {@code d} (empty when it has none), or null when no entry
     * matches: the device is not offered. {@code isPhysicalFunction} answers for an address of this host
     * whether it is an SR-IOV PF (Nova reads {@code sriov_totalvfs} there).
     */
    public Map<String, String> tags(Device d, Predicate<String> isPhysicalFunction) {
        Addr dev = Addr.ofDevice(d.address());
        Addr parent = d.parentAddr() == null ? null : Addr.ofDevice(d.parentAddr());
        for (Entry e : entries) {
            if (e.matches(d, dev, parent, isPhysicalFunction)) {
                return e.tags;
            }
        }
        return null;
    }

    /** {@link #tags(Device, Predicate)} where a device's own parent is the only PF known. */
    public Map<String, String> tags(String address, String vendorId, String productId, String parentAddr) {
        Device d = new Device(address, vendorId, productId, null, null, parentAddr);
        return tags(d, a -> parentAddr != null && Addr.ofDevice(parentAddr).text().equals(Addr.ofDevice(a).text()));
    }

    /** A device address split into Nova's normalised fields: 4, 2, 2 and 1 lower-case hex digits. */
    record Addr(String domain, String bus, String slot, String func) {
        String text() {
            return domain + ":" + bus + ":" + slot + "." + func;
        }

        static Addr ofDevice(String address) {
            int dot = address.lastIndexOf('.');
            String[] dbs = (dot < 0 ? address : address.substring(0, dot)).split(":", -1);
            if (dot < 0 || dbs.length != 3) {
                throw new IllegalArgumentException("not a PCI address: " + address);
            }
            return new Addr(fmt(dbs[0], 0xFFFF, 4), fmt(dbs[1], 0xFF, 2), fmt(dbs[2], 0x1F, 2),
                    fmt(address.substring(dot + 1), 7, 1));
        }

        private static String fmt(String s, int max, int width) {
            long v = Long.parseLong(s.strip(), 16);
            if (v > max || v < 0) {
                throw new IllegalArgumentException("not a PCI address field: " + s);
            }
            return pad(Long.toHexString(v), width);
        }
    }

    private static String pad(String hex, int width) {
        return hex.length() >= width ? hex : "0".repeat(width - hex.length()) + hex;
    }

    /**
     * Nova's {@code _set_pci_dev_info}: {@code *} stays, else a hex number (a {@code 0x} prefix and
     * surrounding blanks allowed) at most {@code max}, formatted lower-case to {@code width} digits.
     */
    static String hexField(String value, int max, int width, String property, ConfigValue v) {
        if (value.equals(ANY)) {
            return ANY;
        }
        String s = value.strip();
        String digits = s.regionMatches(true, 0, "0x", 0, 2) ? s.substring(2) : s;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> Character.digit(c, 16) >= 0) || digits.length() > 8) {
            throw NovaJson.bad(v, "device_spec " + property + " " + NovaJson.quote(value) + " is not * or a hex"
                    + " number; write e.g. " + example(property));
        }
        long n = Long.parseLong(digits, 16);
        if (n > max) {
            throw NovaJson.bad(v, "device_spec " + property + " " + NovaJson.quote(value) + " is greater than "
                    + Long.toHexString(max) + "; write e.g. " + example(property));
        }
        return pad(Long.toHexString(n), width);
    }

    private static String example(String property) {
        return switch (property) {
            case "vendor_id" -> "\"10de\"";
            case "product_id" -> "\"1db4\"";
            case "domain" -> "\"0000\"";
            case "bus" -> "\"3b\"";
            case "slot" -> "\"00\"";
            default -> "\"0\"";
        };
    }

    /** One device_spec entry. */
    private static final class Entry {
        final String vendor;
        final String product;
        final AddressSpec address;
        final Map<String, String> tags;
        final boolean remoteManaged;

        Entry(String vendor, String product, AddressSpec address, Map<String, String> tags) {
            this.vendor = vendor;
            this.product = product;
            this.address = address;
            this.tags = Collections.unmodifiableMap(tags);
            this.remoteManaged = pyBool(tags.get("remote_managed"));
        }

        static Entry parse(Map<String, Object> spec, ConfigValue v) {
            Map<String, String> tags = new LinkedHashMap<>();
            String vendor = ANY;
            String product = ANY;
            Object address = null;
            for (Map.Entry<String, Object> e : spec.entrySet()) {
                String k = e.getKey();
                Object val = e.getValue();
                switch (k) {
                    case "vendor_id" -> vendor = hexField(string(val, k, v).strip(), 0xFFFF, 4, k, v);
                    case "product_id" -> product = hexField(string(val, k, v), 0xFFFF, 4, k, v);
                    case "address" -> address = val;
                    case "devname" -> throw NovaJson.bad(v, "device_spec devname is not supported by the fleet (it"
                            + " names a network interface of the host where Nova reads it); give the device's"
                            + " \"address\" instead");
                    default -> {
                        if (val instanceof Map || val instanceof List) {
                            throw NovaJson.bad(v, "device_spec tag " + NovaJson.quote(k) + " is " + NovaJson.kind(val)
                                    + "; a tag's value is a string, e.g. \"" + k + "\": \"physnet1\"");
                        }
                        tags.put(k, NovaJson.pythonStr(val));
                    }
                }
            }
            AddressSpec a;
            if (address == null || address instanceof String s && s.isEmpty()) {
                a = AddressSpec.glob("*:*:*.*", v);
            } else if (address instanceof String s) {
                a = AddressSpec.glob(s, v);
            } else if (address instanceof Map<?, ?> m) {
                a = AddressSpec.regex(m, v);
            } else {
                throw NovaJson.bad(v, "device_spec address is " + NovaJson.kind(address) + "; write a glob such as"
                        + " \"0000:3b:00.*\" or an object of regular expressions such as {\"bus\": \"3b\","
                        + " \"function\": \"[1-7]\"}");
            }
            return new Entry(vendor, product, a, tags);
        }

        private static String string(Object val, String key, ConfigValue v) {
            if (!(val instanceof String s)) {
                throw NovaJson.bad(v, "device_spec " + key + " is " + NovaJson.kind(val) + "; write it as a string"
                        + " such as " + example(key));
            }
            return s;
        }

        boolean matches(Device d, Addr dev, Addr parent, Predicate<String> isPhysicalFunction) {
            if (!(vendor.equals(ANY) || vendor.equals(d.vendorId()))
                    || !(product.equals(ANY) || product.equals(d.productId()))) {
                return false;
            }
            if (remoteManaged) {
                return false; // Nova also wants the card's VPD serial number, which the fleet does not know
            }
            Addr single = address.single();
            if (single != null && isPhysicalFunction.test(single.text())) {
                // WhitelistPciAddress with is_physical_function: the PF's own address, or its VFs'
                return single.equals(dev) || single.equals(parent);
            }
            return address.matches(dev);
        }
    }

    /** Python's {@code strutils.bool_from_string} on a tag's string form. */
    static boolean pyBool(String s) {
        if (s == null) {
            return false;
        }
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "1", "t", "true", "on", "y", "yes" -> true;
            default -> false;
        };
    }

    /** An entry's address: Nova's PciAddressGlobSpec or PciAddressRegexSpec. */
    private interface AddressSpec {
        boolean matches(Addr a);

        /**
         * The one function this spec names when each of its fields is plain hex (Nova's
         * {@code is_single_address}), normalised as Nova's PhysicalPciAddress does; else null.
         */
        Addr single();

        static AddressSpec glob(String text, ConfigValue v) {
            String dbs = text;
            String func = ANY;
            int dot = text.indexOf('.');
            if (dot >= 0) {
                dbs = text.substring(0, dot);
                String f = text.substring(dot + 1);
                if (!f.isEmpty()) {
                    func = hexField(f.strip(), 7, 1, "function", v);
                }
            }
            String domain = ANY;
            String bus = ANY;
            String slot = ANY;
            if (!dbs.isEmpty()) {
                String[] fields = dbs.split(":", -1);
                if (fields.length > 3) {
                    throw NovaJson.bad(v, "device_spec address " + NovaJson.quote(text) + " has more than"
                            + " domain:bus:slot before the '.'; write e.g. \"0000:3b:00.1\" or \"*:3b:00.*\"");
                }
                String[] all = {ANY, ANY, ANY};
                System.arraycopy(fields, 0, all, 3 - fields.length, fields.length);
                for (int i = 0; i < 3; i++) {
                    all[i] = all[i].strip().isEmpty() ? ANY : all[i].strip();
                }
                domain = hexField(all[0], 0xFFFF, 4, "domain", v);
                bus = hexField(all[1], 0xFF, 2, "bus", v);
                slot = hexField(all[2], 0x1F, 2, "slot", v);
            }
            Addr glob = new Addr(domain, bus, slot, func);
            boolean single = !domain.equals(ANY) && !bus.equals(ANY) && !slot.equals(ANY) && !func.equals(ANY);
            return new AddressSpec() {
                @Override
                public boolean matches(Addr a) {
                    return (glob.domain().equals(ANY) || glob.domain().equals(a.domain()))
                            && (glob.bus().equals(ANY) || glob.bus().equals(a.bus()))
                            && (glob.slot().equals(ANY) || glob.slot().equals(a.slot()))
                            && (glob.func().equals(ANY) || glob.func().equals(a.func()));
                }

                @Override
                public Addr single() {
                    return single ? glob : null;
                }
            };
        }

        static AddressSpec regex(Map<?, ?> m, ConfigValue v) {
            String[] raw = new String[4];
            Pattern[] p = new Pattern[4];
            String[] keys = {"domain", "bus", "slot", "function"};
            for (int i = 0; i < 4; i++) {
                Object r = m.containsKey(keys[i]) ? m.get(keys[i]) : ".*";
                if (!(r instanceof String s)) {
                    throw NovaJson.bad(v, "device_spec address " + keys[i] + " is " + NovaJson.kind(r) + "; write a"
                            + " regular expression as a string, e.g. \"" + keys[i] + "\": " + example(keys[i]));
                }
                raw[i] = s;
                try {
                    p[i] = Pattern.compile(s);
                } catch (PatternSyntaxException e) {
                    throw NovaJson.bad(v, "device_spec address " + keys[i] + " " + NovaJson.quote(s) + " is not a"
                            + " regular expression (" + e.getDescription() + "); write e.g. \"" + keys[i] + "\": "
                            + example(keys[i]));
                }
            }
            Addr single = null;
            if (java.util.Arrays.stream(raw).allMatch(s -> s.chars().allMatch(c -> Character.digit(c, 16) >= 0))) {
                try {
                    single = new Addr(hexField(raw[0], 0xFFFF, 4, "domain", v), hexField(raw[1], 0xFF, 2, "bus", v),
                            hexField(raw[2], 0x1F, 2, "slot", v), hexField(raw[3], 7, 1, "function", v));
                } catch (RuntimeException e) {
                    single = null; // an empty field: Nova's PhysicalPciAddress would refuse it; no PF rule then
                }
            }
            Addr one = single;
            return new AddressSpec() {
                @Override
                public boolean matches(Addr a) {
                    return p[0].matcher(a.domain()).lookingAt() && p[1].matcher(a.bus()).lookingAt()
                            && p[2].matcher(a.slot()).lookingAt() && p[3].matcher(a.func()).lookingAt();
                }

                @Override
                public Addr single() {
                    return one;
                }
            };
        }
    }
}
