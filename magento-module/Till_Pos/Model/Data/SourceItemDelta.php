<?php
declare(strict_types=1);

namespace Till\Pos\Model\Data;

use Till\Pos\Api\Data\SourceItemDeltaInterface;

class SourceItemDelta implements SourceItemDeltaInterface
{
    private string $sku = '';
    private string $sourceCode = '';
    private string $delta = '0';
    private ?string $quantity = null;
    private ?int $status = null;
    private ?bool $applied = null;

    public function getSku(): string
    {
        return $this->sku;
    }

    public function setSku(string $sku)
    {
        $this->sku = $sku;
        return $this;
    }

    public function getSourceCode(): string
    {
        return $this->sourceCode;
    }

    public function setSourceCode(string $code)
    {
        $this->sourceCode = $code;
        return $this;
    }

    public function getDelta(): string
    {
        return $this->delta;
    }

    public function setDelta(string $delta)
    {
        $this->delta = $delta;
        return $this;
    }

    public function getQuantity(): ?string
    {
        return $this->quantity;
    }

    public function setQuantity(?string $quantity)
    {
        $this->quantity = $quantity;
        return $this;
    }

    public function getStatus(): ?int
    {
        return $this->status;
    }

    public function setStatus(?int $status)
    {
        $this->status = $status;
        return $this;
    }

    public function getApplied(): ?bool
    {
        return $this->applied;
    }

    public function setApplied(?bool $applied)
    {
        $this->applied = $applied;
        return $this;
    }
}
