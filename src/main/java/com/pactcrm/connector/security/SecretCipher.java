package com.pactcrm.connector.security;

import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encrypts secrets at rest (CRM and Pact tokens, client secrets) with AES-GCM. Stored form:
 * {@code v1:<base64(12-byte IV | ciphertext | 16-byte tag)>}. The key comes from
 * {@code connector.encryption-key} (base64, 16/24/32 bytes); without it a development key is
 * generated under {@code ./data} with a warning, so a fresh clone runs but production must set one.
 */
@Singleton
public class SecretCipher {

    private static final Logger LOG = LoggerFactory.getLogger(SecretCipher.class);
    private static final String PREFIX = "v1:";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final boolean developmentKey;
    private final SecureRandom random = new SecureRandom();

    public SecretCipher(@Nullable @Value("${connector.encryption-key:}") String configuredKey,
                        @Value("${connector.dev-key-file:./data/encryption.key}") String devKeyFile) {
        this.developmentKey = configuredKey == null || configuredKey.isBlank();
        byte[] raw = developmentKey
                ? developmentKey(Path.of(devKeyFile))
                : Base64.getDecoder().decode(configuredKey.strip());
        if (raw.length != 16 && raw.length != 24 && raw.length != 32) {
            throw new IllegalStateException("connector.encryption-key must be base64 of 16, 24 or 32 bytes");
        }
        this.key = new SecretKeySpec(raw, "AES");
    }

    /** True when no {@code connector.encryption-key} is set and the generated development key is in use. */
    public boolean usesDevelopmentKey() {
        return developmentKey;
    }

    public String encrypt(String plaintext) {
        if (plaintext == null) {
            return null;
        }
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[IV_BYTES + sealed.length];
            System.arraycopy(iv, 0, out, 0, IV_BYTES);
            System.arraycopy(sealed, 0, out, IV_BYTES, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Encryption failed", e);
        }
    }

    public String decrypt(String stored) {
        if (stored == null) {
            return null;
        }
        if (!stored.startsWith(PREFIX)) {
            throw new IllegalStateException("Secret is not in the v1 encrypted form");
        }
        try {
            byte[] in = Base64.getDecoder().decode(stored.substring(PREFIX.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, IV_BYTES));
            return new String(cipher.doFinal(in, IV_BYTES, in.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("A stored secret cannot be decrypted: wrong connector.encryption-key?", e);
        }
    }

    /**
     * A key for another purpose (e.g. signing session tokens), derived from the encryption key so
     * that one configured secret is enough, yet the AES key itself is never used twice.
     */
    public byte[] deriveKey(String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] developmentKey(Path file) {
        try {
            if (Files.exists(file)) {
                LOG.warn("event=dev_encryption_key_in_use file={} hint=\"set connector.encryption-key in production\"", file);
                return Base64.getDecoder().decode(Files.readString(file).strip());
            }
            byte[] generated = new byte[32];
            random.nextBytes(generated);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, Base64.getEncoder().encodeToString(generated));
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Non-POSIX file systems keep their default permissions.
            }
            LOG.warn("event=dev_encryption_key_generated file={} hint=\"set connector.encryption-key in production\"", file);
            return generated;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read or create the development encryption key " + file, e);
        }
    }
}
