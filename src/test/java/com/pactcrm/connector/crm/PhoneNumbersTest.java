package com.pactcrm.connector.crm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The default phone country an installation reads numbers in, and the countries it may be. */
class PhoneNumbersTest {

    @Test
    void theDefaultCountryIsSuggestedFromTheCrmAccountsDomain() {
        assertEquals("RU", PhoneNumbers.suggestCountry("acme.amocrm.ru"));
        assertEquals("BR", PhoneNumbers.suggestCountry("loja.bitrix24.com.br"));
        assertNull(PhoneNumbers.suggestCountry("acme.kommo.com"));
        assertTrue(PhoneNumbers.knownCountry("br"));
    }

    @Test
    void everyCountryADefaultMayBeComesWithItsCallingCode() {
        assertEquals(55, PhoneNumbers.countries().get("BR"));
        assertEquals(7, PhoneNumbers.countries().get("RU"));
        assertTrue(PhoneNumbers.countries().size() > 200, "the whole world: " + PhoneNumbers.countries().size());
        assertTrue(PhoneNumbers.countries().keySet().stream().allMatch(PhoneNumbers::knownCountry));
    }
}
