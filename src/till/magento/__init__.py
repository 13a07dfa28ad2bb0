"""The Magento 2.4 connector: REST client, pull into Till's model, export of what tills create.

Nothing here runs unless `TILL_MAGENTO_BASE_URL` is set; without it Till is the centre itself.
"""
