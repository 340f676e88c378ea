/**
 * The contract as an OpenAPI 3.1 document: every answer the API gives, v2 and the v1 still online,
 * errors included. The API serves it at /openapi.yaml; other teams generate clients from it, and
 * the tests check every answer against it.
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
        /api/v1/products/{id}:
          get:
            operationId: getProductV1
            description: Version 1, online until its last client has moved.
            parameters:
              - $ref: '#/components/parameters/ProductId'
            responses:
              '200':
                description: The product, its price a bare number.
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/ProductV1'
              '400':
                description: The id is not a whole number.
                content:
                  application/problem+json:
                    schema:
                      $ref: '#/components/schemas/Problem'
              '404':
                description: No product with this id.
                content:
                  application/problem+json:
                    schema:
                      $ref: '#/components/schemas/Problem'
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
              '400':
                description: The id is not a whole number.
                content:
                  application/problem+json:
                    schema:
                      $ref: '#/components/schemas/Problem'
              '404':
                description: No product with this id.
                content:
                  application/problem+json:
                    schema:
                      $ref: '#/components/schemas/Problem'
        /api/products/{id}:
          get:
            operationId: getProductByMediaType
            description: >
              The Accept header chooses the version: application/vnd.shop.v2+json gets version 2;
              application/vnd.shop.v1+json gets version 1; application/json, application/*, */* or
              no Accept at all get version 1 as application/json, as before version 2 existed.
            parameters:
              - $ref: '#/components/parameters/ProductId'
            responses:
              '200':
                description: The product, in the version the Accept header asked for.
                headers:
                  Vary:
                    description: Always Accept, so caches keep the versions apart.
                    schema:
                      type: string
                content:
                  application/vnd.shop.v2+json:
                    schema:
                      $ref: '#/components/schemas/Product'
                  application/vnd.shop.v1+json:
                    schema:
                      $ref: '#/components/schemas/ProductV1'
                  application/json:
                    schema:
                      $ref: '#/components/schemas/ProductV1'
              '400':
                description: The id is not a whole number.
                content:
                  application/problem+json:
                    schema:
                      $ref: '#/components/schemas/Problem'
              '404':
                description: No product with this id.
                content:
                  application/problem+json:
                    schema:
                      $ref: '#/components/schemas/Problem'
              '406':
                description: The Accept header names no version this API serves.
                content:
                  application/problem+json:
                    schema:
                      $ref: '#/components/schemas/Problem'
        /openapi.yaml:
          get:
            operationId: getContract
            responses:
              '200':
                description: This document.
                content:
                  application/yaml: {}
      components:
        parameters:
          ProductId:
            name: id
            in: path
            required: true
            schema:
              type: integer
        schemas:
          ProductV1:
            type: object
            required: [id, name, price]
            properties:
              id:
                type: integer
              name:
                type: string
              price:
                type: number
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
          Problem:
            description: An error, as RFC 9457 problem details.
            type: object
            required: [status, title]
            properties:
              type:
                type: string
              title:
                type: string
              status:
                type: integer
              detail:
                type: string
          Price:
            # TODO 4: describe the v2 price: an object whose amount (a number) is required and whose currency (a string) defaults to EUR.
            type: number
      """;
}
