package com.pactcrm.connector.crm;

/**
 * CRM entity ids as the connector takes them from outside (the widget API, frames, webhooks): positive 64-bit numbers
 * in plain decimal. amoCRM and Bitrix24 number their leads, deals and contacts so; anything else would be stored,
 * compared as text and later fail where a CRM call parses it (an amoCRM note batch reads every id as a long).
 */
public final class CrmEntityIds {

    private CrmEntityIds() {
    }

    /** @return true for 1 … 2^63 − 1 written without sign, spaces or leading zeros */
    public static boolean valid(String id) {
        if (id == null || id.isEmpty() || id.length() > 19 || id.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) < '0' || id.charAt(i) > '9') {
                return false;
            }
        }
        try {
            return Long.parseLong(id) > 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
