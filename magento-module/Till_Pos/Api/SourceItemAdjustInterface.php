<?php
declare(strict_types=1);

namespace Till\Pos\Api;

/**
 * Adds a quantity to source items in one statement each (`quantity = quantity + delta`), so a
 * write Magento makes meanwhile (a shipment, an import) is never overwritten. Once per movement:
 * a repeated call with the same movement moves nothing and answers the same.
 */
interface SourceItemAdjustInterface
{
    /**
     * @param string $movement Till's movement id (sale, refund, adjustment)
     * @param \Till\Pos\Api\Data\SourceItemDeltaInterface[] $deltas
     * @return \Till\Pos\Api\Data\SourceItemDeltaInterface[]
     * @throws \Magento\Framework\Exception\InputException
     */
    public function adjust(string $movement, array $deltas): array;
}
