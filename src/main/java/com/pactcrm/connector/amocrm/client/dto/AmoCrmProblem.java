package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * amoCRM's {@code application/problem+json} error body; a 400 carries {@code validation-errors[]}, one entry
 * per rejected item of a batch, keyed by its {@code request_id} (amocrm.md §4.1).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AmoCrmProblem(
        String title,
        String type,
        Integer status,
        String detail,
        @JsonProperty("validation-errors") List<ValidationError> validationErrors) {

    public AmoCrmProblem {
        validationErrors = validationErrors == null ? List.of() : List.copyOf(validationErrors);
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ValidationError(String requestId, List<FieldError> errors) {
        public ValidationError {
            errors = errors == null ? List.of() : List.copyOf(errors);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FieldError(String code, String path, String detail) {
    }
}
