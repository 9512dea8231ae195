// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The models a request asks for: listed, or named by an app profile (webhook_app_profile), or by
 * default everything the token may read. Always within the token's scopes: a request for more is
 * refused with 403 naming what is not allowed. Immutable.
 */
record ModelSelection(String profile, List<String> patterns) {

  /**
   * Resolves a request's {@code profile} or {@code models} (at most one of them).
   *
   * @param models null when not given
   * @throws ApiError 400 for a bad or unknown name, 403 for models outside the token's scopes
   */
  static ModelSelection resolve(Connection c, ApiToken token, String profile, List<String> models)
      throws SQLException {
    if (profile != null && models != null) {
      throw ApiError.badRequest("Give either \"profile\" or \"models\", not both.");
    }
    List<String> patterns;
    if (profile != null) {
      patterns = profileModels(c, profile);
    } else if (models != null) {
      if (models.isEmpty()) {
        throw ApiError.badRequest(
            "\"models\" is empty; list models such as res.partner or product.*.");
      }
      for (String m : models) {
        String problem = ModelPatterns.problemWith(m);
        if (problem != null) {
          throw ApiError.badRequest(problem + ".");
        }
      }
      patterns = models;
    } else {
      patterns = token.scopes();
    }
    List<String> refused = ModelPatterns.notCovered(token.scopes(), patterns);
    if (!refused.isEmpty()) {
      throw new ApiError(
          403,
          "model_not_allowed",
          "This token may not read "
              + String.join(", ", refused)
              + "; it may read "
              + String.join(", ", token.scopes())
              + ". Ask for a token with those models (`token create --models ...`).");
    }
    return new ModelSelection(profile, ModelPatterns.normalized(patterns));
  }

  private static List<String> profileModels(Connection c, String profile) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT name, models FROM webhook_app_profile ORDER BY name")) {
      List<String> names = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getString(1).equals(profile)) {
            return ApiTokens.strings(rs.getArray(2));
          }
          names.add(rs.getString(1));
        }
      }
      throw ApiError.badRequest(
          "Unknown profile \""
              + profile
              + "\"; profiles: "
              + (names.isEmpty()
                  ? "none (add rows to webhook_app_profile)"
                  : String.join(", ", names))
              + ".");
    }
  }

  String[] like() {
    return ModelPatterns.toLike(patterns);
  }
}
