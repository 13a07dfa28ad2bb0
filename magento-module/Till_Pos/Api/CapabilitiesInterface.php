<?php
declare(strict_types=1);

namespace Till\Pos\Api;

/**
 * What this module offers, so Till's connector can tell it is installed (Magento answers 404
 * "Request does not match any route" without it) and which of its routes to use.
 */
interface CapabilitiesInterface
{
    /**
     * The module's features: `configurable-orders`, `source-item-adjust`.
     *
     * @return string[]
     */
    public function get(): array;
}
