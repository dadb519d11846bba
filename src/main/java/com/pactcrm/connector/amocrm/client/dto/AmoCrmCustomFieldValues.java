package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * One entry of an entity's {@code custom_fields_values}. On read amoCRM fills {@code field_id},
 * {@code field_code} and per value {@code enum_id}/{@code enum_code} (amocrm.md §4.3).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AmoCrmCustomFieldValues(Long fieldId, String fieldName, String fieldCode, String fieldType,
                                      List<Value> values) {

    /** The code of the built-in phone field (amocrm.md §4.3). */
    public static final String PHONE = "PHONE";

    public AmoCrmCustomFieldValues {
        values = values == null ? List.of() : List.copyOf(values);
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Value(String value, Long enumId, String enumCode) {
    }

    static List<String> valuesOf(List<AmoCrmCustomFieldValues> fields, String fieldCode) {
        if (fields == null) {
            return List.of();
        }
        return fields.stream()
                .filter(f -> fieldCode.equals(f.fieldCode()))
                .flatMap(f -> f.values().stream())
                .map(Value::value)
                .toList();
    }
}
