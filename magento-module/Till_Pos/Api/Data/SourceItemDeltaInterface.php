<?php
declare(strict_types=1);

namespace Till\Pos\Api\Data;

/**
 * A quantity added to one source item; answered with the quantity and status after it.
 */
interface SourceItemDeltaInterface
{
    /**
     * @return string
     */
    public function getSku(): string;

    /**
     * @param string $sku
     * @return $this
     */
    public function setSku(string $sku);

    /**
     * @return string
     */
    public function getSourceCode(): string;

    /**
     * @param string $code
     * @return $this
     */
    public function setSourceCode(string $code);

    /**
     * The quantity added (negative: taken), a decimal string.
     *
     * @return string
     */
    public function getDelta(): string;

    /**
     * @param string $delta
     * @return $this
     */
    public function setDelta(string $delta);

    /**
     * The source item's quantity right after this movement (answers only).
     *
     * @return string|null
     */
    public function getQuantity(): ?string;

    /**
     * @param string|null $quantity
     * @return $this
     */
    public function setQuantity(?string $quantity);

    /**
     * 1 in stock, 0 out of stock, after this movement (answers only).
     *
     * @return int|null
     */
    public function getStatus(): ?int;

    /**
     * @param int|null $status
     * @return $this
     */
    public function setStatus(?int $status);

    /**
     * False when this movement had already been applied (a retry): nothing moved now.
     *
     * @return bool|null
     */
    public function getApplied(): ?bool;

    /**
     * @param bool|null $applied
     * @return $this
     */
    public function setApplied(?bool $applied);
}
