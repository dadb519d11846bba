package com.pactcrm.connector.crm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Phones as managers type them and as CRMs and Pact store them, to the E.164 digits Pact takes. */
class PhoneTest {

    @Test
    void nationalFormsBecomeInternationalWithTheDefaultCountry() {
        assertEquals("79991234567", Phone.parse("8 (999) 123-45-67", "RU").digits(), "Russia's trunk prefix 8");
        assertEquals("5511987654321", Phone.parse("(11) 98765-4321", "BR").digits(), "a Brazilian number without 55");
        assertEquals("5511987654321", Phone.parse("+55 11 98765-4321", "RU").digits(), "a plus wins over the default");
        assertEquals("5511987654321", Phone.parse("5511987654321", "RU").digits(), "the whole number without its plus");
        assertEquals("79991234567", Phone.parse("+7 999 123-45-67", null).digits());
    }

    @Test
    void whatIsNoPhoneIsRefusedInPlainWords() {
        Phone.InvalidPhoneException notAPhone = assertThrows(Phone.InvalidPhoneException.class,
                () -> Phone.parse("call me", "BR"));
        assertTrue(notAPhone.getMessage().contains("is not a phone number"), notAPhone.getMessage());
        Phone.InvalidPhoneException tooShort = assertThrows(Phone.InvalidPhoneException.class,
                () -> Phone.parse("123-45", "BR"));
        assertTrue(tooShort.getMessage().contains("not a valid phone number in Brazil"), tooShort.getMessage());
        Phone.InvalidPhoneException noCountry = assertThrows(Phone.InvalidPhoneException.class,
                () -> Phone.parse("98765-4321", null));
        assertTrue(noCountry.getMessage().contains("country code"), noCountry.getMessage());
    }

    @Test
    void aStoredNumberKeepsOnlyItsDigitsWithoutJudgement() {
        assertEquals("5511987654321", Phone.of("+55 (11) 98765-4321").digits());
        assertEquals("89991234567", Phone.of("8 (999) 123-45-67").digits(), "no default country: the trunk 8 stays");
        assertEquals("12345", Phone.of("ext. 123-45").digits(), "too short to be a phone, kept all the same");
    }

    @Test
    void noNumberIsAnEmptyPhoneNotAnError() {
        assertTrue(Phone.of(null).isEmpty());
        assertTrue(Phone.of("").isEmpty());
        assertTrue(Phone.of("nickname").isEmpty());
        List<String> storedInACard = Arrays.asList("+7 999 123-45-67", null, "—");
        assertEquals(List.of("79991234567"),
                storedInACard.stream().map(Phone::of).filter(p -> !p.isEmpty()).map(Phone::digits).toList());
    }

    @Test
    void writtenBackWithItsPlusAndComparedByItsDigits() {
        assertEquals("+5511987654321", Phone.of("55 11 98765-4321").international());
        assertEquals("5511987654321", Phone.of("55 11 98765-4321").toString());
        assertEquals(Phone.parse("(11) 98765-4321", "BR"), Phone.of("+55 11 98765 4321"));
        assertThrows(IllegalArgumentException.class, () -> new Phone("+5511987654321"), "digits only inside");
    }
}
