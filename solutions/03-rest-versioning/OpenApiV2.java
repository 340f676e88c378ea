/**
 * The v2 contract as an OpenAPI 3.1 document. The API serves it at /openapi.yaml; other teams
 * generate clients from it, and the tests check every v2 answer against it.
 */
final class OpenApiV2 {
  private OpenApiV2() {}

  static final String YAML = """
      openapi: 3.1.0
      info:
        title: Shop catalog
        version: 2.0.0
        description: >
          Products with their price. Version 2 sends the price as an object with an amount and a
          currency. Version 1 (price as a bare number) stays online at /api/v1 and as
          application/vnd.shop.v1+json until its last client has moved.
      paths:
        /api/v2/products/{id}:
          get:
            operationId: getProductV2
            parameters:
              - $ref: '#/components/parameters/ProductId'
            responses:
              '200':
                description: The product.
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/Product'
              '404':
                description: No product with this id.
        /api/products/{id}:
          get:
            operationId: getProductByMediaType
            description: Send Accept application/vnd.shop.v2+json to get this version.
            parameters:
              - $ref: '#/components/parameters/ProductId'
            responses:
              '200':
                description: The product, in the version the Accept header asked for.
                content:
                  application/vnd.shop.v2+json:
                    schema:
                      $ref: '#/components/schemas/Product'
              '404':
                description: No product with this id.
              '406':
                description: The Accept header names no version this API serves.
      components:
        parameters:
          ProductId:
            name: id
            in: path
            required: true
            schema:
              type: integer
        schemas:
          Product:
            type: object
            required: [id, name, price]
            properties:
              id:
                type: integer
              name:
                type: string
              price:
                $ref: '#/components/schemas/Price'
          Price:
            # Open on purpose (no additionalProperties: false): a later v2.x may add fields.
            type: object
            # amount has no safe default; currency has one, so readers can do without it.
            required: [amount]
            properties:
              amount:
                type: number
              currency:
                type: string
                description: ISO 4217 code.
                default: EUR
      """;
}
