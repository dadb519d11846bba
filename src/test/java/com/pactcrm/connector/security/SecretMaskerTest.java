package com.pactcrm.connector.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SecretMaskerTest {

    @Test
    void masksTokensInHeadersQueryStringsAndJson() {
        String line = "X-Private-Api-Token: abcdef1234567890XYZW GET /x?private_api_token=qwertyuiop1234567 "
                + "{\"access_token\":\"eyJhbGciOiJIUzI1NiJ9.payload.sig\",\"refresh_token\":\"def50200aa11bb22\"} "
                + "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi auth[application_token]=51856fefc120afa4b628cc82d3935cce";
        String masked = SecretMasker.mask(line);
        assertFalse(masked.contains("abcdef1234567890"), masked);
        assertFalse(masked.contains("qwertyuiop"), masked);
        assertFalse(masked.contains("eyJhbGciOiJIUzI1NiJ9"), masked);
        assertFalse(masked.contains("def50200aa11"), masked);
        assertFalse(masked.contains("eyJ0eXAiOiJKV1Qi"), masked);
        assertFalse(masked.contains("51856fefc120afa4"), masked);
        assertTrue(masked.contains("****XYZW"), "the last four characters tell tokens apart: " + masked);
    }

    @Test
    void leavesOrdinaryTextAlone() {
        String text = "event=command_delivered command=12 kind=PACT_WRITE_FIRST remoteId=2073572301";
        assertEquals(text, SecretMasker.mask(text));
    }
}
