<?php
declare(strict_types=1);

namespace Till\Pos\Model\Data;

use Till\Pos\Api\Data\ItemLinkInterface;

class ItemLink implements ItemLinkInterface
{
    private int $child = 0;
    private int $parent = 0;

    public function getChildQuoteItemId(): int
    {
        return $this->child;
    }

    public function setChildQuoteItemId(int $id)
    {
        $this->child = $id;
        return $this;
    }

    public function getParentQuoteItemId(): int
    {
        return $this->parent;
    }

    public function setParentQuoteItemId(int $id)
    {
        $this->parent = $id;
        return $this;
    }
}
