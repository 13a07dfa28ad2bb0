<?php
declare(strict_types=1);

namespace Till\Pos\Model;

use Till\Pos\Api\CapabilitiesInterface;

class Capabilities implements CapabilitiesInterface
{
    public const FEATURES = ['configurable-orders', 'source-item-adjust'];

    public function get(): array
    {
        return self::FEATURES;
    }
}
