package com.pactcrm.connector.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.pactcrm.connector.installation.Installation;
import java.io.IOException;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The installation's default phone country ({@code settings.defaultCountry}, ISO 3166 alpha-2; suggested from the CRM
 * account's domain when unset), which {@link Phone#parse} reads numbers typed without a country code in, and the
 * countries it may be.
 */
public final class PhoneNumbers {

    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SortedMap<String, Integer> COUNTRIES = Collections.unmodifiableSortedMap(
            new TreeMap<>(UTIL.getSupportedRegions().stream().collect(Collectors.toMap(r -> r, UTIL::getCountryCodeForRegion))));
    /** The CRMs' own country domains (amoCRM .ru/.com, Kommo, Bitrix24's zones): where the account most likely is. */
    private static final Map<String, String> DOMAIN_COUNTRIES = Map.ofEntries(
            Map.entry(".ru", "RU"), Map.entry(".by", "BY"), Map.entry(".kz", "KZ"), Map.entry(".ua", "UA"),
            Map.entry(".com.br", "BR"), Map.entry(".br", "BR"), Map.entry(".de", "DE"), Map.entry(".es", "ES"),
            Map.entry(".mx", "MX"), Map.entry(".co", "CO"), Map.entry(".pl", "PL"), Map.entry(".it", "IT"),
            Map.entry(".fr", "FR"), Map.entry(".uk", "GB"), Map.entry(".in", "IN"), Map.entry(".id", "ID"),
            Map.entry(".vn", "VN"), Map.entry(".tr", "TR"), Map.entry(".cn", "CN"), Map.entry(".jp", "JP"));

    private PhoneNumbers() {
    }

    /** The installation's default country: the admin's setting, else suggested from the CRM account's domain. */
    public static String defaultCountry(Installation installation) {
        String set = setting(installation.settings());
        return set != null ? set : suggestCountry(installation.crmHost());
    }

    /** From the CRM account's host (acme.amocrm.ru → RU, portal.bitrix24.com.br → BR); null when it says nothing. */
    public static String suggestCountry(String crmHost) {
        if (crmHost == null) {
            return null;
        }
        String host = crmHost.toLowerCase(Locale.ROOT).replaceFirst(":\\d+$", "");
        String best = null;
        for (Map.Entry<String, String> e : DOMAIN_COUNTRIES.entrySet()) {
            if (host.endsWith(e.getKey()) && (best == null || e.getKey().length() > best.length())) {
                best = e.getKey();
            }
        }
        return best == null ? null : DOMAIN_COUNTRIES.get(best);
    }

    /** Every country a default may be (ISO 3166 alpha-2, in code order) and its calling code: BR → 55, RU → 7. */
    public static SortedMap<String, Integer> countries() {
        return COUNTRIES;
    }

    /** Whether {@code code} is a country libphonenumber knows (ISO 3166 alpha-2). */
    public static boolean knownCountry(String code) {
        return code != null && UTIL.getSupportedRegions().contains(code.toUpperCase(Locale.ROOT));
    }

    private static String setting(String settingsJson) {
        if (settingsJson == null || settingsJson.isBlank()) {
            return null;
        }
        try {
            JsonNode value = JSON.readTree(settingsJson).path("defaultCountry");
            return value.isTextual() && knownCountry(value.asText()) ? value.asText().toUpperCase(Locale.ROOT) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
