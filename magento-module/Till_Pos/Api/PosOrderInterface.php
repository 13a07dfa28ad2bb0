<?php
declare(strict_types=1);

namespace Till\Pos\Api;

/**
 * Records a POS sale as an order whose configurable lines are a parent row and a child row
 * linked by `parent_item_id`, as checkout records them (`POST /V1/orders/` cannot link them).
 */
interface PosOrderInterface
{
    /**
     * Save the order with each link's child item under its parent item, in one transaction.
     *
     * @param \Magento\Sales\Api\Data\OrderInterface $entity
     * @param \Till\Pos\Api\Data\ItemLinkInterface[] $links
     * @return \Magento\Sales\Api\Data\OrderInterface
     * @throws \Magento\Framework\Exception\InputException
     */
    public function place(
        \Magento\Sales\Api\Data\OrderInterface $entity,
        array $links = []
    ): \Magento\Sales\Api\Data\OrderInterface;
}
