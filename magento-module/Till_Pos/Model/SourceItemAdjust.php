<?php
declare(strict_types=1);

namespace Till\Pos\Model;

use Magento\Framework\App\ResourceConnection;
use Magento\Framework\Exception\InputException;
use Magento\Framework\Phrase;
use Magento\InventoryIndexer\Indexer\SourceItem\SourceItemIndexer;
use Till\Pos\Api\Data\SourceItemDeltaInterface;
use Till\Pos\Api\Data\SourceItemDeltaInterfaceFactory;
use Till\Pos\Api\SourceItemAdjustInterface;

/**
 * Relative source-item writes. `SourceItemsSaveInterface` (the REST route) saves absolute
 * quantities, so a shipment, an import or an admin edit landing between Till's read and write
 * was overwritten; here the database adds the delta to whatever the row holds at that moment.
 * Then the source items are reindexed as MSI's `ReindexAfterSourceItemsSavePlugin` does after a
 * save (`SourceItemIndexer::executeList`).
 */
class SourceItemAdjust implements SourceItemAdjustInterface
{
    public function __construct(
        private readonly ResourceConnection $resource,
        private readonly SourceItemIndexer $sourceItemIndexer,
        private readonly SourceItemDeltaInterfaceFactory $deltaFactory
    ) {
    }

    public function adjust(string $movement, array $deltas): array
    {
        $wanted = [];
        foreach ($deltas as $delta) {
            $wanted[] = [
                'sku' => $delta->getSku(),
                'source_code' => $delta->getSourceCode(),
                'delta' => $delta->getDelta(),
            ];
        }
        try {
            $plan = DeltaPlan::merge($movement, $wanted);
        } catch (\InvalidArgumentException $e) {
            throw new InputException(new Phrase($e->getMessage()));
        }
        $connection = $this->resource->getConnection();
        $movements = $this->resource->getTableName('till_pos_source_movement');
        $sourceItems = $this->resource->getTableName('inventory_source_item');
        $answers = [];
        $ids = [];
        $connection->beginTransaction();
        try {
            foreach ($plan as $row) {
                // The movement's row first: a retry of a movement already applied inserts nothing.
                $fresh = $connection->query(
                    "INSERT IGNORE INTO {$movements} (movement, sku, source_code, delta) VALUES (?, ?, ?, ?)",
                    [$movement, $row['sku'], $row['source_code'], $row['delta']]
                )->rowCount() === 1;
                if ($fresh) {
                    // One statement: the row is locked while the sum is made, so nothing written
                    // meanwhile is lost. Assignments run left to right, so the status reads the
                    // new quantity.
                    $connection->query(
                        "INSERT INTO {$sourceItems} (source_code, sku, quantity, status) VALUES (?, ?, ?, ?)"
                        . ' ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity),'
                        . ' status = IF(quantity > 0, 1, 0)',
                        [$row['source_code'], $row['sku'], $row['delta'], DeltaPlan::statusAfter($row['delta'])]
                    );
                }
                $item = $connection->fetchRow(
                    "SELECT source_item_id, quantity, status FROM {$sourceItems} WHERE source_code = ? AND sku = ?",
                    [$row['source_code'], $row['sku']]
                );
                if ($fresh) {
                    $connection->update(
                        $movements,
                        ['quantity_after' => $item['quantity']],
                        ['movement = ?' => $movement, 'sku = ?' => $row['sku'], 'source_code = ?' => $row['source_code']]
                    );
                    $ids[] = (int) $item['source_item_id'];
                }
                /** @var SourceItemDeltaInterface $answer */
                $answer = $this->deltaFactory->create();
                $answer->setSku($row['sku'])
                    ->setSourceCode($row['source_code'])
                    ->setDelta($row['delta'])
                    ->setQuantity(DeltaPlan::format(DeltaPlan::units((string) $item['quantity'])))
                    ->setStatus((int) $item['status'])
                    ->setApplied($fresh);
                $answers[] = $answer;
            }
            $connection->commit();
        } catch (\Throwable $e) {
            $connection->rollBack();
            throw $e;
        }
        if ($ids) {
            $this->sourceItemIndexer->executeList($ids);
        }
        return $answers;
    }
}
