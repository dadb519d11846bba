package com.pactcrm.connector.pact.client;

import com.pactcrm.connector.crm.Phone;
import java.util.List;

/**
 * A "write first" message. Pact allows it only on WhatsApp, WABA (approved template with its
 * substitutions) and Telegram Personal (phone or nickname). Phones go out as digits only.
 */
public record PactWriteFirstRequest(
        String provider,
        String phone,
        String nickname,
        String text,
        Long wabaId,
        List<String> substitutions,
        Long attachmentId) {

    public static final String WHATSAPP = "whatsapp";
    public static final String WHATSAPP_BUSINESS = "whatsapp_business";
    public static final String TELEGRAM_PERSONAL = "telegram_personal";
    public static final int MAX_TEXT = 4096;
    static final int MAX_NICKNAME = 64;
    static final int MAX_SUBSTITUTIONS = 20;
    /** A WhatsApp template's whole body has at most 1024 characters (Meta's template guidelines). */
    static final int MAX_SUBSTITUTION = 1024;

    public PactWriteFirstRequest {
        // WhatsApp and Telegram take at most 4096 characters of text (Meta Cloud API text.body; Telegram sendMessage);
        // the limits also keep a command far below the outbox's 64 KB payload column.
        require(text == null || text.length() <= MAX_TEXT, "a message text has at most " + MAX_TEXT + " characters");
        require(nickname == null || nickname.length() <= MAX_NICKNAME, "a Telegram nickname has at most "
                + MAX_NICKNAME + " characters");
        require(substitutions == null || (substitutions.size() <= MAX_SUBSTITUTIONS
                && substitutions.stream().allMatch(v -> v != null && v.length() <= MAX_SUBSTITUTION)),
                "substitutions are at most " + MAX_SUBSTITUTIONS + " texts of at most " + MAX_SUBSTITUTION + " characters");
        if (phone != null) {
            phone = Phone.of(phone).digits();
        }
        if (nickname != null) {
            nickname = nickname.strip().replaceFirst("^@", "");
        }
        switch (provider == null ? "" : provider) {
            case WHATSAPP -> {
                require(phone != null && !phone.isEmpty(), "WhatsApp needs a phone");
                require(hasText(text) || attachmentId != null, "WhatsApp needs a text or an attachment");
            }
            case WHATSAPP_BUSINESS -> {
                require(phone != null && !phone.isEmpty(), "WABA needs a phone");
                require(wabaId != null, "WABA can write first only with an approved template (waba_id)");
                substitutions = substitutions == null ? List.of() : List.copyOf(substitutions);
            }
            case TELEGRAM_PERSONAL -> {
                require((phone != null && !phone.isEmpty()) ^ hasText(nickname),
                        "Telegram Personal needs either a phone or a nickname");
                require(hasText(text) || attachmentId != null, "Telegram Personal needs a text or an attachment");
            }
            default -> throw new IllegalArgumentException("Pact allows writing first only on whatsapp, "
                    + "whatsapp_business and telegram_personal, not '" + provider + "'");
        }
    }

    public static PactWriteFirstRequest whatsapp(String phone, String text) {
        return new PactWriteFirstRequest(WHATSAPP, phone, null, text, null, null, null);
    }

    public static PactWriteFirstRequest waba(String phone, long wabaId, List<String> substitutions) {
        return new PactWriteFirstRequest(WHATSAPP_BUSINESS, phone, null, null, wabaId, substitutions, null);
    }

    public static PactWriteFirstRequest telegramByPhone(String phone, String text) {
        return new PactWriteFirstRequest(TELEGRAM_PERSONAL, phone, null, text, null, null, null);
    }

    public static PactWriteFirstRequest telegramByNickname(String nickname, String text) {
        return new PactWriteFirstRequest(TELEGRAM_PERSONAL, null, nickname, text, null, null, null);
    }

    /** The value to look the conversation up by ({@code search_string} strips a leading + or @). */
    public String recipient() {
        return phone != null && !phone.isEmpty() ? phone : nickname;
    }

    private static boolean hasText(String s) {
        return s != null && !s.isBlank();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
