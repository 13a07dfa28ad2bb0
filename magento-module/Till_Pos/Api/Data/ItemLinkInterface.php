<?php
declare(strict_types=1);

namespace Till\Pos\Api\Data;

/**
 * A child order item under its parent, both named by their `quote_item_id` in the order sent.
 */
interface ItemLinkInterface
{
    /**
     * @return int
     */
    public function getChildQuoteItemId(): int;

    /**
     * @param int $id
     * @return $this
     */
    public function setChildQuoteItemId(int $id);

    /**
     * @return int
     */
    public function getParentQuoteItemId(): int;

    /**
     * @param int $id
     * @return $this
     */
    public function setParentQuoteItemId(int $id);
}
