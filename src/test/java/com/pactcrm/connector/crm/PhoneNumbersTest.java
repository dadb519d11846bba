package com.pactcrm.connector.crm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Phones as managers type them, to the E.164 digits Pact takes. */
class PhoneNumbersTest {

    @Test
    void nationalFormsBecomeInternationalWithTheDefaultCountry() {
        assertEquals("79991234567", PhoneNumbers.e164Digits("8 (999) 123-45-67", "RU"), "Russia's trunk prefix 8");
        assertEquals("5511987654321", PhoneNumbers.e164Digits("(11) 98765-4321", "BR"), "a Brazilian number without 55");
        assertEquals("5511987654321", PhoneNumbers.e164Digits("+55 11 98765-4321", "RU"), "a plus wins over the default");
        assertEquals("5511987654321", PhoneNumbers.e164Digits("5511987654321", "RU"), "the whole number without its plus");
        assertEquals("79991234567", PhoneNumbers.e164Digits("+7 999 123-45-67", null));
    }

    @Test
    void whatIsNoPhoneIsRefusedInPlainWords() {
        PhoneNumbers.InvalidPhoneException notAPhone = assertThrows(PhoneNumbers.InvalidPhoneException.class,
                () -> PhoneNumbers.e164Digits("call me", "BR"));
        assertTrue(notAPhone.getMessage().contains("is not a phone number"), notAPhone.getMessage());
        PhoneNumbers.InvalidPhoneException tooShort = assertThrows(PhoneNumbers.InvalidPhoneException.class,
                () -> PhoneNumbers.e164Digits("123-45", "BR"));
        assertTrue(tooShort.getMessage().contains("not a valid phone number in Brazil"), tooShort.getMessage());
        PhoneNumbers.InvalidPhoneException noCountry = assertThrows(PhoneNumbers.InvalidPhoneException.class,
                () -> PhoneNumbers.e164Digits("98765-4321", null));
        assertTrue(noCountry.getMessage().contains("country code"), noCountry.getMessage());
    }

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
