"""The API's routes, one Powertools Router per resource; `sundial.api.app` includes them."""
