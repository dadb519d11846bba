package com.pactcrm.connector.crm;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.util.Locale;

/**
 * A phone number as Pact takes it and the CRMs are searched by: E.164 digits without the plus, {@code 5511987654321}
 * (pact-api.md §4). The one place that turns what people, a CRM or Pact give into those digits, two ways:
 * <ul>
 *   <li>{@link #parse}: a number a manager typed or a CRM field sent to be written to ({@code 8 (999) 123-45-67} in
 *       Russia, a Brazilian number without 55). Numbers without a country code are read in the installation's default
 *       country (see {@link PhoneNumbers#defaultCountry}); Google's libphonenumber knows each country's numbering plan
 *       and its trunk prefixes (Russia's 8), so a number is refused only when it cannot be a phone there.</li>
 *   <li>{@link #of}: a number a CRM or Pact already holds, stored as someone wrote it ({@code +55 (11) 98765-4321}):
 *       only its digits are kept, with no judgement, because it is looked up or passed on as it is and nobody is there
 *       to correct it.</li>
 * </ul>
 */
public record Phone(String digits) {

    /** A phone that is no phone, in words the manager understands. */
    public static final class InvalidPhoneException extends IllegalArgumentException {
        public InvalidPhoneException(String message) {
            super(message);
        }
    }

    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

    public Phone {
        if (digits == null || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("a phone's digits are 0-9 only, not '" + digits + "'");
        }
    }

    /** The digits of a number as a CRM or Pact stores it; empty (see {@link #isEmpty}) when there are none. */
    public static Phone of(String stored) {
        return new Phone(stored == null ? "" : stored.replaceAll("\\D", ""));
    }

    /**
     * @param defaultCountry ISO 3166 alpha-2 for numbers typed without a country code; null: only international ones
     * @return the number in E.164, e.g. {@code 79991234567}
     * @throws InvalidPhoneException when it is not a valid phone number
     */
    public static Phone parse(String typed, String defaultCountry) {
        String value = typed == null ? "" : typed.strip();
        if (value.isEmpty()) {
            throw new InvalidPhoneException("no phone number was given");
        }
        if (!value.matches("[+\\d\\s().\\-/]+")) {
            throw new InvalidPhoneException("'" + value + "' is not a phone number");
        }
        String region = defaultCountry == null ? null : defaultCountry.toUpperCase(Locale.ROOT);
        PhoneNumber number;
        try {
            number = UTIL.parse(value, region == null ? "ZZ" : region);
        } catch (NumberParseException e) {
            number = null;
        }
        // Someone who typed the whole international number without its plus (5511987654321, 79991234567) means it.
        if ((number == null || !UTIL.isValidNumber(number)) && !value.startsWith("+")) {
            try {
                PhoneNumber international = UTIL.parse("+" + of(value).digits(), "ZZ");
                if (UTIL.isValidNumber(international)) {
                    number = international;
                }
            } catch (NumberParseException e) {
                // not that either
            }
        }
        if (number == null || !UTIL.isValidNumber(number)) {
            throw new InvalidPhoneException("'" + value + "' is not a valid phone number"
                    + (region == null ? ": give it with the country code, e.g. +55 11 98765-4321"
                    : " in " + new Locale("", region).getDisplayCountry(Locale.ENGLISH)
                    + " (the default country); with another country's code first, e.g. +55 11 98765-4321"));
        }
        return new Phone(UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164).substring(1));
    }

    public boolean isEmpty() {
        return digits.isEmpty();
    }

    /** With its plus, {@code +5511987654321}: how the CRMs' own searches and a nameless client's name want it. */
    public String international() {
        return "+" + digits;
    }

    @Override
    public String toString() {
        return digits;
    }
}
