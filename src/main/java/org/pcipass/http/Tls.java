package org.pcipass.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.PcipassException;

/** {@code --tls-cert FILE --tls-key FILE}: PEM files, as certbot and openssl write them, made into a key store for Jetty. */
final class Tls {
    static final char[] PASSWORD = "pcipass".toCharArray(); // of the in-memory key store only

    private static final Pattern KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private Tls() {}

    /** @throws PcipassException.BadInput naming the file and the fix */
    static KeyStore keyStore(Path certFile, Path keyFile) {
        Certificate[] chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        if (!signs(key, chain[0].getPublicKey())) {
            throw new PcipassException.BadInput("--tls-key " + keyFile + " is not the key of the certificate in "
                    + certFile + " (the first certificate of the file must be the server's); give the key it was made"
                    + " with");
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("pcipass", key, PASSWORD, chain);
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new PcipassException.BadInput("--tls-key " + keyFile + " does not go with the certificate in "
                    + certFile + " (" + e.getMessage() + "); give the key the certificate was made for");
        }
    }

    /** Whether {@code key} signs what {@code publicKey} verifies: the key and the certificate belong together. */
    static boolean signs(PrivateKey key, java.security.PublicKey publicKey) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, EdDSA
        };
        try {
            byte[] probe = "pcipass".getBytes(StandardCharsets.US_ASCII);
            java.security.Signature s = java.security.Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] signature = s.sign();
            java.security.Signature v = java.security.Signature.getInstance(algorithm);
            v.initVerify(publicKey);
            v.update(probe);
            return v.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static Certificate[] certificates(Path file) {
        try {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)));
            if (certs.isEmpty()) {
                throw new GeneralSecurityException("no certificate in it");
            }
            return certs.toArray(Certificate[]::new);
        } catch (IOException e) {
            throw new PcipassException.BadInput("--tls-cert " + file + " cannot be read (" + e.getMessage() + ")");
        } catch (GeneralSecurityException e) {
            throw new PcipassException.BadInput("--tls-cert " + file + " is not a PEM certificate (" + e.getMessage()
                    + "); give the certificate chain in PEM, -----BEGIN CERTIFICATE-----");
        }
    }

    private static PrivateKey privateKey(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new PcipassException.BadInput("--tls-key " + file + " cannot be read (" + e.getMessage() + ")");
        }
        Matcher m = KEY.matcher(text);
        if (!m.find()) {
            throw new PcipassException.BadInput("--tls-key " + file + " holds no unencrypted PKCS#8 key (-----BEGIN"
                    + " PRIVATE KEY-----); convert it: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "EdDSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // the next algorithm
            }
        }
        throw new PcipassException.BadInput("--tls-key " + file + " is not an RSA, EC or Ed25519 key pcipass can read;"
                + " make one with: openssl req -x509 -newkey rsa:3072 -nodes -keyout key.pem -out cert.pem");
    }
}
