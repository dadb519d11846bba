package com.pactcrm.connector.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretCipherTest {

    private static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    @TempDir
    Path dir;

    @Test
    void encryptsWithAFreshIvAndDecryptsBack() {
        SecretCipher cipher = new SecretCipher(KEY, dir.resolve("unused.key").toString());
        String a = cipher.encrypt("pact-token-123456789");
        String b = cipher.encrypt("pact-token-123456789");
        assertTrue(a.startsWith("v1:"));
        assertNotEquals(a, b, "the same secret never encrypts to the same text");
        assertFalse(a.contains("pact-token"));
        assertEquals("pact-token-123456789", cipher.decrypt(a));
    }

    @Test
    void anotherKeyOrATamperedValueIsRefused() {
        String sealed = new SecretCipher(KEY, dir.resolve("k").toString()).encrypt("secret");
        SecretCipher other = new SecretCipher("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", dir.resolve("k2").toString());
        assertThrows(IllegalStateException.class, () -> other.decrypt(sealed));
        String tampered = sealed.substring(0, sealed.length() - 4) + "AAAA";
        assertThrows(IllegalStateException.class, () -> new SecretCipher(KEY, "x").decrypt(tampered));
    }

    @Test
    void withoutAConfiguredKeyADevelopmentKeyIsGeneratedOnceAndReused() throws Exception {
        Path keyFile = dir.resolve("data/encryption.key");
        SecretCipher first = new SecretCipher("", keyFile.toString());
        assertTrue(Files.exists(keyFile));
        String sealed = first.encrypt("refresh-token");
        assertEquals("refresh-token", new SecretCipher(null, keyFile.toString()).decrypt(sealed));
    }

    @Test
    void aKeyOfTheWrongLengthIsRejectedAtStartUp() {
        assertThrows(IllegalStateException.class, () -> new SecretCipher("c2hvcnQ=", "x"));
    }
}
