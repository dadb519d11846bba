package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.crm.PhoneNumbers;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;
import java.util.Locale;

/**
 * {@code GET}, {@code PUT /api/v1/settings/phone} (admin): the installation's default country for phones typed
 * without a country code (the card's write first, the Bitrix24 sender). {@code suggested} comes from the CRM
 * account's domain; {@code defaultCountry} is what applies now (the admin's choice, else the suggestion);
 * {@code countries} are those a default may be (what the settings page offers, with each one's calling code).
 */
@Controller("/api/v1/settings/phone")
@ExecuteOn(TaskExecutors.BLOCKING)
class PhoneSettingsController {

    record PhoneSettings(@Nullable String defaultCountry, @Nullable String suggested, List<Country> countries) {
    }

    /** ISO 3166 alpha-2 and the country's calling code (BR, 55). */
    record Country(String code, int callingCode) {
    }

    record PhoneSettingsUpdate(@Nullable String defaultCountry) {
    }

    private final WidgetAuth auth;
    private final WidgetSettings settings;

    PhoneSettingsController(WidgetAuth auth, WidgetSettings settings) {
        this.auth = auth;
        this.settings = settings;
    }

    @Get
    PhoneSettings get(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin) {
        return view(auth.admin(authorization, origin).installation());
    }

    @Put
    PhoneSettings put(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                      @Body PhoneSettingsUpdate update) {
        Installation installation = auth.admin(authorization, origin).installation();
        String country = update.defaultCountry() == null || update.defaultCountry().isBlank() ? null
                : update.defaultCountry().strip().toUpperCase(Locale.ROOT);
        if (country != null && !PhoneNumbers.knownCountry(country)) {
            throw ProblemException.badRequest("'" + update.defaultCountry() + "' is not a country code (ISO 3166, e.g. BR, RU)");
        }
        return view(settings.update(installation, json -> {
            if (country == null) {
                json.remove("defaultCountry");
            } else {
                json.put("defaultCountry", country);
            }
        }));
    }

    private static PhoneSettings view(Installation installation) {
        return new PhoneSettings(PhoneNumbers.defaultCountry(installation), PhoneNumbers.suggestCountry(installation.crmHost()),
                PhoneNumbers.countries().entrySet().stream().map(e -> new Country(e.getKey(), e.getValue())).toList());
    }
}
